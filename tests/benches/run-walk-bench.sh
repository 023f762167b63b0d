#!/usr/bin/env bash
# Benchmark of the streaming layer walk (tests/benches/walk.rs).
#
# Generates synthetic OCI images (256 MiB / 50k files, 1 GiB / 210k files, 4 GiB / 400k files by
# default), measures the walk against `zcat > /dev/null` on the same layers and the scan's peak
# RSS, prints one line per image and a summary table, and deletes the images.
#
#   tests/benches/run-walk-bench.sh                      # everything, images under $TMPDIR
#   tests/benches/run-walk-bench.sh --work /var/tmp --reps 5 --breakdown
#   tests/benches/run-walk-bench.sh --sizes 256:50000    # one size only
#
# Other commands of the bench binary (gen, run, breakdown) are reached with
#   cargo bench -p assure-tests --bench walk -- gen --size-mib 1024 --files 210000 --out DIR
#   cargo bench -p assure-tests --bench walk -- run --image DIR --breakdown
#
# Needs about 2 GiB free for the 4 GiB image (it is stored gzip-compressed). Figures are only
# meaningful on an otherwise idle machine: each result line shows the load average.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v zcat >/dev/null || { echo "zcat (gzip) is needed for the floor" >&2; exit 1; }
log=${WALK_BENCH_LOG:-target/walk-bench.log}
mkdir -p "$(dirname "$log")"
cargo bench -p assure-tests --bench walk -- all "$@" 2>&1 | tee "$log"
echo "log: $log"
