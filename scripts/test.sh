#!/usr/bin/env bash
# Run the whole test suite against a real containerd and a real registry.
# Starts them with ../shared/scripts/setup-containerd.sh (as root; installs the Debian packages
# it needs) unless they are already up, then runs `cargo test --workspace`.
#   scripts/test.sh [cargo test args...]
# Env: ASSURE_TEST_ENV_DIR (default /tmp/assure-test-env), ASSURE_SHARED (default ../shared).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${ASSURE_SHARED:-$repo/../shared}
envdir=${ASSURE_TEST_ENV_DIR:-/tmp/assure-test-env}
setup=$shared/scripts/setup-containerd.sh
[ -x "$setup" ] || [ -f "$setup" ] || { echo "test.sh: $setup not found (set ASSURE_SHARED)" >&2; exit 2; }

started=0
status=$(bash "$setup" status "$envdir" 2>/dev/null || true)
if [[ $status == *"containerd: running"* && $status == *"registry: running"* ]] && [ -f "$envdir/env.sh" ]; then
  echo "test.sh: reusing containerd and registry in $envdir" >&2
else
  bash "$setup" down "$envdir" >/dev/null 2>&1 || true
  bash "$setup" up "$envdir" >/dev/null
  started=1
fi
if [ "$started" = 1 ] && [ "${KEEP_TEST_ENV:-0}" != 1 ]; then
  trap 'bash "$setup" down "$envdir" >/dev/null 2>&1 || true' EXIT
fi
# shellcheck disable=SC1091
. "$envdir/env.sh"
export ASSURE_TEST_DATA=${ASSURE_TEST_DATA:-$shared/data}
cd "$repo"
cargo test --workspace --locked "$@"
