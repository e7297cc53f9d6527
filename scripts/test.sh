#!/usr/bin/env bash
# Runs every test: Swift unit tests, then the interop suite with real Kafka clients.
# Installs missing Debian/Python packages first. Used by `make test` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh test

echo "==> building (debug)"
swift build --build-tests
echo "==> Swift unit tests"
# Passing tests are many lines each; show failures, skips and the closing summary.
# (errexit off around the pipeline, so its first command's status can be read back.)
set +e
swift test --skip-build --parallel 2>&1 | tee .build/swift-test.log | awk '/Test run with/ || !/^(◇|↳|✔)/'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then echo "Swift unit tests failed (exit $status); see .build/swift-test.log"; exit "$status"; fi

echo "==> interop tests with real clients (pytest)"
export PETREL_BIN="$PWD/.build/debug/petrel"
python3 -m pytest -q Tests/Interop

echo "==> ZooKeeper's clients (kazoo, zkCli) against a 3-node ensemble of the ZooKeeper-only binary (petrel-zookeeper)"
PETREL_ZOOKEEPER_BIN="$PWD/.build/debug/petrel-zookeeper" ZK_NODES=3 \
    python3 -m pytest -q Tests/Interop/test_zookeeper_kazoo.py Tests/Interop/test_zookeeper_zkcli.py

echo "==> the same kazoo and zkCli files against a 3-node Apache ZooKeeper 3.8 ensemble (the reference)"
ZK_TARGET=apache ZK_NODES=3 \
    python3 -m pytest -q Tests/Interop/test_zookeeper_kazoo.py Tests/Interop/test_zookeeper_zkcli.py
