"""Shared fixtures for the interop suite: real Kafka clients against Petrel processes."""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

from ports import free_port  # noqa: F401 (tests import it from here too)

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


class Broker:
    """A real `petrel broker` process on a free loopback port with its own log directory."""

    def __init__(self, tmp_path, overrides=None, log_dir=None, port=None):
        self.port = port or free_port()
        self.log_dir = log_dir or (tmp_path / f"logs-{self.port}")
        self.config_path = tmp_path / f"server-{self.port}.properties"
        lines = {
            "broker.id": "0",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.log_dir),
            "num.partitions": "3",
        }
        lines.update(overrides or {})
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        self.output_path = tmp_path / f"broker-{self.port}-{time.monotonic_ns()}.log"
        self.output = open(self.output_path, "w")
        self.process = subprocess.Popen([petrel_bin(), "broker", str(self.config_path)],
                                        stdout=self.output, stderr=subprocess.STDOUT)
        self.address = f"127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self, timeout=20):
        import socket
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"broker exited with {self.process.returncode}: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"broker did not listen within {timeout}s: {self.log()}")

    def log(self):
        self.output.flush()
        return self.output_path.read_text()

    def alive(self):
        return self.process.poll() is None

    def stop(self, sig=None):
        import signal as _signal
        if self.process.poll() is None:
            self.process.send_signal(sig or _signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.output.close()
        return self.process.returncode


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    yield b
    b.stop()


@pytest.fixture
def broker_factory(tmp_path):
    brokers = []

    def make(**kwargs):
        b = Broker(tmp_path, **kwargs)
        brokers.append(b)
        return b

    yield make
    for b in brokers:
        b.stop()


def recv_exactly(conn, n):
    """Reads exactly n bytes from a socket, or raises ConnectionError if it closes first."""
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


# ZooKeeper: `petrel zookeeper`, or Apache ZooKeeper 3.8 with ZK_TARGET=apache (see zookeeper_nodes.py).

def start_zk_ensemble(ensemble):
    """Starts an ensemble; skips (only) when a Petrel node refuses an ensemble config."""
    from zookeeper_nodes import EnsembleNotSupported
    try:
        return ensemble.start()
    except EnsembleNotSupported as refusal:
        pytest.skip(f"Petrel runs standalone only, no {len(ensemble.nodes)}-node ensemble yet ({refusal})")


@pytest.fixture(scope="module")
def zk_ensemble(tmp_path_factory):
    """The nodes shared by a test module (tests use paths of their own): one standalone node,
    or ZK_NODES=N nodes in an ensemble (clients get every node's address)."""
    from zookeeper_nodes import Ensemble, ensemble_size
    ensemble = start_zk_ensemble(Ensemble(tmp_path_factory.mktemp("zk"), size=ensemble_size()))
    yield ensemble
    ensemble.stop()


@pytest.fixture
def zk_factory(tmp_path):
    """Makes ensembles a test owns (to kill, restart or configure them); all stopped after it."""
    from zookeeper_nodes import Ensemble
    made = []

    def make(size=1, config=None, start=True):
        ensemble = Ensemble(tmp_path / f"zk{len(made)}", size=size, config=config)
        made.append(ensemble)
        return start_zk_ensemble(ensemble) if start else ensemble

    yield make
    for ensemble in made:
        ensemble.stop()
