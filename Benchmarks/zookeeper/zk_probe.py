#!/usr/bin/env python3
"""Two probes of a 3-node ensemble, Petrel's beside Apache ZooKeeper 3.8's, in one run:

- latency: a raw-socket client (no client library in the way) sets one 100-byte znode
  --count times, one request at a time, through a follower and then through the leader;
  prints p50/p90/p99 latency, the rate, and the CPU time all three server processes spent
  per write (from /proc);
- stale: two kazoo clients on different members; one creates a znode, the other asks for it
  at once, --count times per pairing (follower→follower, leader→follower, follower→leader);
  prints how many of those reads did not see the acknowledged create yet (ZooKeeper orders
  reads per server only; `sync` is the cure).

Usage: python3 Benchmarks/zookeeper/zk_probe.py latency|stale [--count 3000]
       [--targets petrel,apache] [--petrel-zookeeper .build/release/petrel-zookeeper]
       [--baseline <petrel-zookeeper of another build> --targets petrel,baseline]
"""
import argparse
import os
import pathlib
import socket
import struct
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Interop"))
from zk_wire import Session, buffer, create_body, string  # noqa: E402
from zookeeper_nodes import Ensemble  # noqa: E402


def raw_client(port):
    """A session over a bare socket (zk_wire's), no client library in the way."""
    session = Session(port)
    session.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return session


def call(session, op, body):
    error = session.call(op, body)[2]
    if error:
        raise RuntimeError(f"{op} failed with ZooKeeper error {error}")


def cpu_seconds(nodes):
    total = 0
    for node in nodes:
        fields = pathlib.Path(f"/proc/{node.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def latency(ensemble, kind, count, warmup):
    leader = ensemble.leader()
    follower = ensemble.followers()[0]
    for name, node in (("follower", follower), ("leader", leader)):
        try:
            latency_through(ensemble, kind, name, node, count, warmup)
        except (TimeoutError, OSError) as error:
            # A server that stops answering (seen once from Apache's leader here) ends its
            # row, not the run: the other rows still come out.
            print(f"| {kind} | {name} | no answer: {error or type(error).__name__} | | | | |", flush=True)


def latency_through(ensemble, kind, name, node, count, warmup):
    """One row: setData one at a time through `node`, after `warmup` untimed ones (a JVM's JIT
    compiles its hot paths over the first few thousand requests: 200 left Apache's p50 about
    twice its warm figure here)."""
    client = raw_client(node.port)
    try:
        path = f"/probe-{name}"
        call(client, "create", create_body(path))
        set_data = string(path) + buffer(b"x" * 100) + struct.pack(">i", -1)
        for _ in range(warmup):
            call(client, "setData", set_data)
        spent = cpu_seconds(ensemble.nodes)
        times = []
        for _ in range(count):
            started = time.perf_counter()
            call(client, "setData", set_data)
            times.append(time.perf_counter() - started)
        spent = cpu_seconds(ensemble.nodes) - spent
        # Ended properly: Apache's leader did not answer the next row's new session (10 s
        # timeout) while this one was left to expire.
        client.call("closeSession")
    finally:
        client.sock.close()
    times.sort()
    p50, p90, p99 = (times[int(len(times) * q)] * 1e3 for q in (0.5, 0.9, 0.99))
    print(f"| {kind} | {name} | {p50:.2f} | {p90:.2f} | {p99:.2f} | {count / sum(times):,.0f} | {spent / count * 1e6:,.0f} |",
          flush=True)


def stale(ensemble, kind, count):
    from kazoo.client import KazooClient
    leader = ensemble.leader()
    first, second = ensemble.followers()
    for writer, reader, name in ((first, second, "follower → follower"), (leader, second, "leader → follower"),
                                 (first, leader, "follower → leader")):
        a, b = KazooClient(hosts=writer.address), KazooClient(hosts=reader.address)
        a.start(timeout=15)
        b.start(timeout=15)
        root = f"/stale-{abs(hash(name))}"
        a.ensure_path(root)
        missed = 0
        for index in range(count):
            a.create(f"{root}/n{index}", b"")
            if b.exists(f"{root}/n{index}") is None:
                missed += 1
        a.stop()
        b.stop()
        print(f"| {kind} | {name} | {missed} of {count} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("probe", choices=["latency", "stale"])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=5000, help="untimed writes before a latency row")
    parser.add_argument("--targets", default="petrel,apache")
    parser.add_argument("--petrel-zookeeper", default=str(REPO / ".build" / "release" / "petrel-zookeeper"))
    parser.add_argument("--baseline", default=None,
                        help="a petrel-zookeeper binary of another build, probed as the target `baseline` "
                             "(--targets petrel,baseline) to see what a change does")
    args = parser.parse_args()
    os.environ["PETREL_ZOOKEEPER_BIN"] = args.petrel_zookeeper
    if args.baseline:
        os.environ["PETREL_BASELINE_BIN"] = args.baseline
    elif "baseline" in args.targets.split(","):
        parser.error("the target `baseline` needs --baseline BINARY")
    if args.probe == "latency":
        print("| server | through | p50 ms | p90 ms | p99 ms | writes/s | server CPU µs per write |\n|---|---|---|---|---|---|---|")
    else:
        print("| server | writer → reader | reads that missed the write |\n|---|---|---|")
    base = pathlib.Path(tempfile.mkdtemp(prefix="petrel-zk-probe-"))
    for kind in args.targets.split(","):
        ensemble = Ensemble(base / kind, size=3, kind=kind, config={"tickTime": "2000"})
        ensemble.start()
        try:
            time.sleep(1)
            if args.probe == "latency":
                latency(ensemble, kind, args.count, args.warmup)
            else:
                stale(ensemble, kind, args.count)
        finally:
            ensemble.shut_down()


if __name__ == "__main__":
    main()
