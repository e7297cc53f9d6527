#!/usr/bin/env bash
# Runs the ZooKeeper interop files against Apache ZooKeeper 3.8 (Debian's package) as the
# reference: the files sharing one ensemble (kazoo, zkCli.sh, raw wire, four-letter words) get a
# 3-node ensemble, test_zookeeper_ensemble.py starts its own 3- and 5-node ensembles, and the
# files that start a single node on purpose (durability) do so. Petrel-only files skip themselves.
# Extra arguments go to pytest (e.g. -k kill, -x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh test
export ZK_TARGET=apache ZK_NODES=3
exec python3 -m pytest -q -rs Tests/Interop/test_zookeeper_*.py "$@"
