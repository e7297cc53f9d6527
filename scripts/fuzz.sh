#!/usr/bin/env bash
# Fuzzes Kafka request decoding with libFuzzer (Swift's -sanitize=fuzzer).
# Usage: scripts/fuzz.sh [seconds=600] [extra libFuzzer flags...]
# Findings land in Fuzz/artifacts/; the corpus grows in Fuzz/corpus/ (both git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds="${1:-600}"
shift || true
echo "building the fuzz target (release, -sanitize=fuzzer,address)..."
swift build -c release --product FuzzKafkaRequests \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
mkdir -p corpus/requests artifacts
echo "fuzzing for ${seconds}s; progress lines below are libFuzzer's (exec/s, coverage)"
exec .build/release/FuzzKafkaRequests corpus/requests \
    -max_total_time="$seconds" -max_len=4096 -artifact_prefix=artifacts/ -print_final_stats=1 "$@"
