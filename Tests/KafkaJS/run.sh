#!/usr/bin/env bash
# The user's services speak KafkaJS, which CI cannot fetch: this runs Tests/KafkaJS/check.js
# (admin, idempotent gzip produce, a two-member group with commits and resume, describe and
# list groups, delete topics) with a KafkaJS checkout against a fresh standalone broker.
# Usage: Tests/KafkaJS/run.sh KAFKAJS_DIR [PETREL_BIN]   (KAFKAJS_DIR: a clone of tulios/kafkajs)
set -euo pipefail
kafkajs="$(cd "${1:?usage: $0 KAFKAJS_DIR [PETREL_BIN]}" && pwd)"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
petrel="${2:-$repo/.build/debug/petrel}"
[ -x "$petrel" ] || { echo "no petrel binary at $petrel: run swift build first" >&2; exit 1; }
work="$(mktemp -d)"
# A free port below the kernel's ephemeral range (Tests/Interop/ports.py says why).
port="$(cd "$repo/Tests/Interop" && python3 -c 'from ports import free_port; print(free_port())')"
"$petrel" broker "$repo/config/server.properties" \
    --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "advertised.listeners=PLAINTEXT://127.0.0.1:$port" \
    --override "log.dirs=$work/data" --override group.initial.rebalance.delay.ms=0 > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
echo "KafkaJS $(node -p "require('$kafkajs/package.json').version") against Petrel on 127.0.0.1:$port"
KAFKAJS_DIR="$kafkajs" BOOTSTRAP="127.0.0.1:$port" node "$repo/Tests/KafkaJS/check.js"
