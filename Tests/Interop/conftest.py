"""Shared fixtures for the interop suite: real Kafka clients against Petrel processes."""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def petrel_bin() -> str:
    path = os.environ.get("PETREL_BIN", str(REPO / ".build" / "debug" / "petrel"))
    if not os.path.exists(path):
        pytest.fail(f"petrel binary not found at {path}: build it (swift build) or set PETREL_BIN")
    return path


class Probe:
    """`petrel dev probe-broker`: answers clients with Swift-encoded responses, logs requests."""

    def __init__(self, tmp_path, topics, fetch_codec=None):
        self.log_path = tmp_path / f"probe-{time.monotonic_ns()}.jsonl"
        args = [petrel_bin(), "dev", "probe-broker", "--log", str(self.log_path)]
        for name, partitions in topics.items():
            args += ["--topic", f"{name}:{partitions}"]
        if fetch_codec:
            args += ["--fetch-codec", fetch_codec]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.process.kill()
            raise RuntimeError(f"probe did not start: {line!r} {self.process.stdout.read()}")
        self.address = line.removeprefix("listening on ")
        self.port = int(self.address.rsplit(":", 1)[1])

    def events(self, kind=None):
        if not self.log_path.exists():
            return []
        out = []
        for line in self.log_path.read_text().splitlines():
            event = json.loads(line)
            if kind is None or event.get("event") == kind:
                out.append(event)
        return out

    def close(self):
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def probe_factory(tmp_path):
    probes = []

    def make(topics, fetch_codec=None):
        probe = Probe(tmp_path, topics, fetch_codec)
        probes.append(probe)
        return probe

    yield make
    for probe in probes:
        probe.close()


@pytest.fixture(scope="session")
def kcat():
    path = shutil.which("kcat") or shutil.which("kafkacat")
    if path is None:
        pytest.fail("kcat is not installed (apt-get install kcat; scripts/ensure-deps.sh test does it)")
    return path


def decode_requests(frames_hex):
    """Decodes request frames with Petrel's generated protocol code (`petrel dev decode-request`)."""
    result = subprocess.run(
        [petrel_bin(), "dev", "decode-request"], input="\n".join(frames_hex) + "\n",
        capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in result.stdout.splitlines()]
