#!/bin/sh
# Run the plan loader fuzzer for SECONDS (default 60) on a corpus seeded with
# the default plan and every test plan. Leaks and crashes fail the run.
# Usage: fuzz/run.sh FUZZER [SECONDS]
set -eu
fuzzer=$1
seconds=${2:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
work=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/k8sw-fuzz.XXXXXX")}
mkdir -p "$work/corpus"
cp "$top"/tests/plans/bad/*.yaml "$top"/fuzz/corpus/* "$work/corpus/"
cd "$work"
ASAN_OPTIONS=detect_leaks=1 "$fuzzer" -max_total_time="$seconds" -max_len=8192 \
	-dict="$top/fuzz/plan.dict" -print_final_stats=1 corpus
