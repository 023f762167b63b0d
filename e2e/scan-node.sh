#!/usr/bin/env bash
# Scan every image of a kind node's containerd (namespace k8s.io) with a release build of assure.
#   e2e/scan-node.sh NODE_CONTAINER [OUT_DIR]
set -euo pipefail
node=${1:?usage: $0 NODE_CONTAINER [OUT_DIR]}
out=${2:-e2e-reports}
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/target/release/assure
sock=${ASSURE_CONTAINERD_ADDRESS:-/run/containerd/containerd.sock}
[ -x "$bin" ] || { echo "build first: cargo build --release -p assure-node-plugin" >&2; exit 2; }
mkdir -p "$out"
docker cp "$bin" "$node:/usr/local/bin/assure"
docker exec "$node" ctr -n k8s.io images ls -q | grep -v '^sha256:' | while read -r ref; do
  file=$out/$(echo "$ref" | tr '/:@' '___').json
  if docker exec "$node" assure scan --containerd-address "$sock" --format json "containerd:$ref" >"$file"; then
    echo "scanned $ref -> $file"
  else
    echo "FAILED $ref (see above)" >&2
  fi
done
