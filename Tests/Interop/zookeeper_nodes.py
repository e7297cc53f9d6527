"""ZooKeeper nodes for the interop suite: Petrel's `petrel zookeeper`, or Apache ZooKeeper 3.8
(Debian's package) as the reference, chosen by ZK_TARGET=petrel|apache (default petrel).

`Ensemble` is a small class with start/stop/kill per node. ZK_NODES=N (default 1) is the size of
the ensemble the shared `zk_ensemble` fixture starts. A Petrel node that refuses `server.N`
lines (its ensemble is not wired yet) raises `EnsembleNotSupported`, which the fixtures turn
into a skip; once Petrel accepts an ensemble config the same tests run against it."""
import os
import pathlib
import signal
import socket
import subprocess
import time

from ports import free_port  # noqa: F401 (tests import it from here too)

REPO = pathlib.Path(__file__).resolve().parents[2]
APACHE_CLASSPATH = ":".join(f"/usr/share/java/{jar}" for jar in ("zookeeper.jar", "slf4j-api.jar", "slf4j-simple.jar"))


def target() -> str:
    value = os.environ.get("ZK_TARGET", "petrel")
    if value not in ("petrel", "apache"):
        raise ValueError(f"ZK_TARGET must be petrel or apache, not {value!r}")
    return value


def ensemble_size() -> int:
    value = os.environ.get("ZK_NODES", "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"ZK_NODES must be a positive number of nodes, not {value!r}")
    return int(value)


class EnsembleNotSupported(RuntimeError):
    """The node exited because it runs standalone only (refuses `server.N` configs)."""


# What `petrel zookeeper` prints when it refuses an ensemble config (ZooKeeperNode.swift).
ENSEMBLE_REFUSAL = "runs standalone only"


def four_letter_word(port, word, timeout=5.0) -> str:
    """Sends a four-letter word unframed and reads the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(word.encode() if isinstance(word, str) else word)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out.decode(errors="replace")
            out += chunk


class Node:
    """One server process with its own zoo.cfg, dataDir and client port."""

    def __init__(self, base_dir, node_id, client_port, kind, config, servers=None):
        self.id = node_id
        self.port = client_port
        self.kind = kind
        self.dir = pathlib.Path(base_dir) / f"node{node_id}"
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lines = {
            "tickTime": "500",
            "dataDir": str(self.data_dir),
            "clientPort": str(client_port),
            "clientPortAddress": "127.0.0.1",
            "maxClientCnxns": "0",
            "admin.enableServer": "false",
            "4lw.commands.whitelist": "*",
        }
        lines.update(config or {})
        for sid, value in (servers or {}).items():
            lines[f"server.{sid}"] = value
        if servers:
            (self.data_dir / "myid").write_text(f"{node_id}\n")
        self.config_path = self.dir / "zoo.cfg"
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in lines.items() if v is not None))
        self.process = None
        self.output = None
        self.output_path = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def command(self):
        if self.kind == "apache":
            return ["java", "-Xmx256m", "-cp", APACHE_CLASSPATH,
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(self.config_path)]
        if self.kind == "baseline":
            # Another build of petrel-zookeeper, to compare a change with (zk_bench --baseline).
            return [os.environ["PETREL_BASELINE_BIN"], str(self.config_path)]
        # PETREL_ZOOKEEPER_BIN: the ZooKeeper-only binary (`petrel-zookeeper CONFIG`), as the
        # ZooKeeper pods run it; otherwise `petrel zookeeper CONFIG`.
        slim = os.environ.get("PETREL_ZOOKEEPER_BIN")
        if slim:
            if not os.path.exists(slim):
                raise RuntimeError(f"petrel-zookeeper binary not found at {slim}: build it (swift build) or unset PETREL_ZOOKEEPER_BIN")
            return [slim, str(self.config_path)]
        binary = os.environ.get("PETREL_BIN", str(REPO / ".build" / "debug" / "petrel"))
        if not os.path.exists(binary):
            raise RuntimeError(f"petrel binary not found at {binary}: build it (swift build) or set PETREL_BIN")
        return [binary, "zookeeper", str(self.config_path)]

    def start(self, wait=True):
        assert self.process is None or self.process.poll() is not None, "node already running"
        self.output_path = self.dir / f"output-{time.monotonic_ns()}.log"
        self.output = open(self.output_path, "w")
        self.process = subprocess.Popen(self.command(), stdout=self.output, stderr=subprocess.STDOUT)
        if wait:
            self.wait_serving()
        return self

    def wait_serving(self, timeout=30):
        """Until `srvr` (ZooKeeper's default whitelist) says the node serves, or it exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log()
                refusal = [line for line in log.splitlines() if ENSEMBLE_REFUSAL in line]
                if self.kind == "petrel" and refusal:
                    message = refusal[0].split("cannot start the ZooKeeper node: ", 1)[-1]
                    raise EnsembleNotSupported(f"node {self.id} exited: {message}")
                raise RuntimeError(f"node {self.id} exited with {self.process.returncode}: {log}")
            try:
                answer = four_letter_word(self.port, "srvr", timeout=1)
                if "Mode:" in answer or "not in the whitelist" in answer:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"node {self.id} did not serve within {timeout}s: {self.log()}")

    def log(self):
        if self.output:
            self.output.flush()
        return self.output_path.read_text() if self.output_path else ""

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def mode(self, timeout=1.0):
        """`leader`, `follower` or `standalone` from `srvr`; None when the node does not serve."""
        try:
            answer = four_letter_word(self.port, "srvr", timeout=timeout)
        except OSError:
            return None
        for line in answer.splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None

    def zxid(self):
        """The last zxid the node has applied, from `srvr` (None when it does not serve)."""
        try:
            answer = four_letter_word(self.port, "srvr", timeout=1.0)
        except OSError:
            return None
        for line in answer.splitlines():
            if line.startswith("Zxid:"):
                return int(line.split(":", 1)[1].strip(), 16)
        return None

    def stop(self, timeout=30):
        """SIGTERM, then waits; returns the exit code."""
        return self._end(signal.SIGTERM, timeout)

    def kill(self):
        """SIGKILL: nothing gets to run, as in a crash."""
        return self._end(signal.SIGKILL, 10)

    def _end(self, sig, timeout):
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.output:
            self.output.close()
            self.output = None
        return self.process.returncode


class Ensemble:
    """`size` nodes on free loopback ports. One node runs standalone (no server.N lines)."""

    def __init__(self, base_dir, size=1, kind=None, config=None):
        self.kind = kind or target()
        ports = [free_port() for _ in range(size)]
        servers = None
        if size > 1:
            servers = {i + 1: f"127.0.0.1:{free_port()}:{free_port()}" for i in range(size)}
            config = {"initLimit": "10", "syncLimit": "5", **(config or {})}
        self.nodes = [Node(base_dir, i + 1, ports[i], self.kind, config, servers) for i in range(size)]

    @property
    def hosts(self):
        return ",".join(node.address for node in self.nodes)

    def start(self):
        for node in self.nodes:
            node.start(wait=False)
        try:
            for node in self.nodes:
                node.wait_serving()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        for node in self.nodes:
            node.stop()

    def shut_down(self):
        """Stops every node, then kills whatever did not stop (the benchmarks' cleanup)."""
        self.stop()
        for node in self.nodes:
            node.kill()

    def leader(self, timeout=30.0):
        """The running node whose `srvr` says `Mode: leader` (waits for an election)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.alive() and node.mode() in ("leader", "standalone"):
                    return node
            time.sleep(0.05)
        raise AssertionError(f"no leader within {timeout}s: " + ", ".join(
            f"node {n.id}: {n.mode() if n.alive() else 'down'}" for n in self.nodes))

    def followers(self):
        leader = self.leader()
        return [node for node in self.nodes if node is not leader and node.alive()]
