#!/usr/bin/env bash
# Runs Petrel locally on localhost:9092. Until the cluster exists this is one standalone broker;
# it becomes the local 3-broker cluster (with a 3-node coordination ensemble) later.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh build
echo "==> building petrel (release)"
swift build -c release --product petrel
if ! .build/release/petrel help broker >/dev/null 2>&1; then
    echo "petrel has no 'broker' command yet: the broker is still being built (see the issues)." >&2
    echo "What exists today: the Kafka wire protocol and record formats ('.build/release/petrel --help')." >&2
    exit 1
fi
exec .build/release/petrel broker config/server.properties "$@"
