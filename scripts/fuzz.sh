#!/usr/bin/env bash
# Fuzzes request decoding with libFuzzer (Swift's -sanitize=fuzzer).
# Usage: scripts/fuzz.sh [kafka|zookeeper|zookeeper-peers] [seconds=600] [extra libFuzzer flags...]
#   kafka (the default): Kafka request frames; zookeeper: ZooKeeper handshakes and requests;
#   zookeeper-peers: quorum frames, transactions and snapshots (what a node reads from its
#   peers and its disk).
# Findings land in Fuzz/artifacts/; the corpus grows in Fuzz/corpus/ (both git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
target=kafka
case "${1:-}" in kafka|zookeeper|zookeeper-peers) target="$1"; shift ;; esac
seconds="${1:-600}"
shift || true
case "$target" in
    kafka) product=FuzzKafkaRequests; corpus=corpus/requests ;;
    zookeeper) product=FuzzZooKeeperRequests; corpus=corpus/zookeeper ;;
    zookeeper-peers) product=FuzzZooKeeperPeers; corpus=corpus/zookeeper-peers ;;
esac
echo "building the fuzz target $product (release, -sanitize=fuzzer,address)..."
swift build -c release --product "$product" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
mkdir -p "$corpus" artifacts
echo "fuzzing for ${seconds}s; progress lines below are libFuzzer's (exec/s, coverage)"
exec ".build/release/$product" "$corpus" \
    -max_total_time="$seconds" -max_len=4096 -artifact_prefix="artifacts/$target-" -print_final_stats=1 "$@"
