#!/usr/bin/env bash
# Installs what building and testing Petrel needs on Debian, only where it is missing.
# Usage: scripts/ensure-deps.sh [build|test]   (test = build + the real clients for interop tests)
set -euo pipefail
what="${1:-build}"

debs=(pkg-config zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev)
if [ "$what" = test ]; then debs+=(kcat zookeeper libslf4j-java strace default-jdk-headless); fi

missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$what" = test ]; then
    # module name -> PyPI package
    pymods=(pytest:pytest confluent_kafka:confluent-kafka kafka:kafka-python aiokafka:aiokafka
            lz4:lz4 snappy:python-snappy cramjam:cramjam zstandard:zstandard xxhash:xxhash kazoo:kazoo)
    want=()
    for pair in "${pymods[@]}"; do
        python3 -c "import ${pair%%:*}" 2>/dev/null || want+=("${pair##*:}")
    done
    if [ "${#want[@]}" -gt 0 ]; then
        echo "==> installing Python packages: ${want[*]}"
        python3 -m pip install -q "${want[@]}"
    fi
fi
