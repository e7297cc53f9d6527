"""Durability of the ZooKeeper node across crashes and restarts: acknowledged writes survive
kill -9, sessions survive a restart (their clients come back, or they expire), snapshots and
log rolls replay, and a torn transaction-log tail is truncated on restart. ZK_TARGET=apache
runs the same against Apache ZooKeeper (Petrel writes ZooKeeper's own log format, so the torn
tail is made the same way for both)."""
import os
import pathlib
import re
import shutil
import signal
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

from zookeeper_nodes import free_port, target


def connect(ensemble, timeout=10.0):
    zk = KazooClient(hosts=ensemble.hosts, timeout=timeout)
    zk.start(timeout=20)
    return zk


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def log_files(node):
    files = list((pathlib.Path(node.data_dir) / "version-2").glob("log.*"))
    return sorted(files, key=lambda p: int(p.name.split(".", 1)[1], 16))


def snapshot_files(node):
    return list((pathlib.Path(node.data_dir) / "version-2").glob("snapshot.*"))


def test_acknowledged_writes_survive_kill_9(zk_factory):
    ensemble = zk_factory()
    node = ensemble.nodes[0]
    zk = connect(ensemble)
    zk.create("/d", b"")
    acknowledged = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            try:
                zk.create(f"/d/n{i:05}", str(i).encode())
            except Exception:
                return
            acknowledged.append(i)
            i += 1
    t = threading.Thread(target=writer)
    t.start()
    wait_for(lambda: len(acknowledged) >= 200, what="200 acknowledged writes")
    node.kill()  # mid-stream: some writes are in flight
    stop.set()
    t.join(30)
    zk.stop()
    zk.close()
    node.start()
    fresh = connect(ensemble)
    try:
        present = set(fresh.get_children("/d"))
        missing = [i for i in acknowledged if f"n{i:05}" not in present]
        assert missing == []
        for i in (0, acknowledged[-1]):
            assert fresh.get(f"/d/n{i:05}")[0] == str(i).encode()
        # New writes continue after the recovered zxid.
        before = max(fresh.exists(f"/d/{name}").czxid for name in present)
        assert fresh.create("/after") == "/after" and fresh.exists("/after").czxid > before
    finally:
        fresh.stop()
        fresh.close()


def test_session_survives_restart_and_keeps_its_ephemeral(zk_factory):
    ensemble = zk_factory()
    node = ensemble.nodes[0]
    zk = connect(ensemble, timeout=10.0)
    states = []
    zk.add_listener(states.append)
    session = zk.client_id
    zk.create("/eph", b"", ephemeral=True)
    node.kill()
    node.start()
    wait_for(lambda: zk.connected and states and states[-1] == KazooState.CONNECTED, what="reconnect after restart")
    try:
        assert zk.client_id == session and KazooState.LOST not in states
        assert zk.exists("/eph").ephemeralOwner == session[0]
    finally:
        zk.stop()
        zk.close()


def test_abandoned_session_expires_after_restart(zk_factory):
    ensemble = zk_factory()
    node = ensemble.nodes[0]
    owner = connect(ensemble, timeout=2.0)
    owner.create("/gone", b"", ephemeral=True)
    node.kill()
    owner.stop()  # the client gives up while the server is down; the session is still logged
    owner.close()
    node.start()
    observer = connect(ensemble)
    try:
        wait_for(lambda: observer.exists("/gone") is None, timeout=20, what="expiry of the recovered session")
    finally:
        observer.stop()
        observer.close()


def test_snapshots_and_log_rolls_replay(zk_factory):
    ensemble = zk_factory(config={"snapCount": "20"})
    node = ensemble.nodes[0]
    zk = connect(ensemble)
    for i in range(120):
        zk.create(f"/s{i:03}", str(i).encode())
    zk.set("/s000", b"changed")
    zk.delete("/s001")
    zk.stop()
    zk.close()
    wait_for(lambda: len(snapshot_files(node)) >= 3, what="several snapshots")
    assert len(log_files(node)) >= 3
    node.kill()
    node.start()
    fresh = connect(ensemble)
    try:
        children = set(fresh.get_children("/"))
        assert {f"s{i:03}" for i in range(120) if i != 1} <= children and "s001" not in children
        assert fresh.get("/s000")[0] == b"changed" and fresh.get("/s119")[0] == b"119"
    finally:
        fresh.stop()
        fresh.close()


def test_clean_shutdown_on_sigterm(zk_factory):
    ensemble = zk_factory()
    node = ensemble.nodes[0]
    zk = connect(ensemble)
    zk.create("/kept", b"v")
    zk.stop()
    zk.close()
    code = node.stop()
    assert code == 0 if target() == "petrel" else code in (0, 143, -signal.SIGTERM)
    if target() == "petrel":
        assert "shut down cleanly" in node.log()
    node.start()
    fresh = connect(ensemble)
    try:
        assert fresh.get("/kept")[0] == b"v"
    finally:
        fresh.stop()
        fresh.close()


def last_written_byte(path):
    """Offset just past the last non-zero byte (log files are preallocated with zeros)."""
    data = path.read_bytes()
    end = len(data)
    while end > 0 and data[end - 1] == 0:
        end -= 1
    return end


@pytest.mark.parametrize("damage", ["torn last record", "garbage after the last record"])
def test_torn_log_tail_is_truncated_on_restart(zk_factory, damage):
    if damage != "torn last record" and target() == "apache":
        pytest.skip("Apache ZooKeeper refuses to start on a garbage length after the last record "
                    "(\"Unreasonable length\"); Petrel treats it as a torn write and truncates")
    ensemble = zk_factory()
    node = ensemble.nodes[0]
    zk = connect(ensemble)
    for i in range(30):
        zk.create(f"/t{i:02}", b"x" * 40)
    zk.create("/last", b"the last record")
    node.kill()
    zk.stop()
    zk.close()
    log = log_files(node)[-1]
    end = last_written_byte(log)
    with open(log, "r+b") as f:
        if damage == "torn last record":
            f.seek(end - 6)
            f.write(b"\x00" * 6)  # the write of the last record did not finish
        else:
            f.seek(end)
            f.write(b"\x13\x37" * 50)  # a record that never was
    node.start()
    if target() == "petrel":
        assert "truncated a torn transaction log tail" in node.log()
    fresh = connect(ensemble)
    try:
        children = set(fresh.get_children("/"))
        assert {f"t{i:02}" for i in range(30)} <= children
        assert ("last" in children) == (damage != "torn last record")
        fresh.create("/next", b"")  # writing goes on after the truncation point
    finally:
        fresh.stop()
        fresh.close()
    node.kill()
    node.start()  # and the log written after the truncation replays
    again = connect(ensemble)
    try:
        assert again.exists("/next") is not None and again.exists("/t29") is not None
    finally:
        again.stop()
        again.close()


@pytest.mark.skipif(target() != "petrel" or shutil.which("strace") is None, reason="traces petrel's system calls")
def test_write_is_fsynced_before_it_is_acknowledged(tmp_path):
    """Under strace: the transaction carrying a marker is written to the log, then fdatasync
    returns, and only then is the reply naming the new node sent to the client."""
    from zookeeper_nodes import Node
    node = Node(tmp_path, 1, free_port(), "petrel", None)
    trace = tmp_path / "trace.log"
    command = node.command()
    node.command = lambda: ["strace", "-f", "-s", "200", "-e", "trace=pwrite64,fdatasync,fsync,sendmsg",
                            "-o", str(trace), *command]
    node.start()
    try:
        zk = KazooClient(hosts=node.address, timeout=10)
        zk.start(timeout=20)
        zk.create("/durable-marker", b"MARKER-PAYLOAD-1234")
        zk.stop()
        zk.close()
    finally:
        # SIGTERM to petrel itself (strace would detach and leave it running); strace follows it out.
        strace_pid = node.process.pid
        children = pathlib.Path(f"/proc/{strace_pid}/task/{strace_pid}/children").read_text().split()
        for child in children:
            os.kill(int(child), signal.SIGTERM)
        node.stop()
    lines = trace.read_text().splitlines()
    written = next(i for i, line in enumerate(lines) if "pwrite64" in line and "MARKER-PAYLOAD-1234" in line)
    replied = next(i for i, line in enumerate(lines) if "sendmsg" in line and "/durable-marker" in line)
    synced = [i for i, line in enumerate(lines)
              if re.search(r"(fdatasync\(\d+\)|fsync\(\d+\)|<\.\.\. f(data)?sync resumed>.*\)) += 0", line)]
    assert written < replied
    assert any(written < i < replied for i in synced), "\n".join(lines[written:replied + 1])
