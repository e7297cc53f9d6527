#!/usr/bin/env python3
"""Where a one-at-a-time write through a follower spends its time, hop by hop, in a 3-node
Petrel ensemble and a 3-node Apache ZooKeeper 3.8 ensemble, from packets on loopback.

For each target in turn it starts an ensemble, warms it with ZooKeeper's Java client
(Benchmarks/zookeeper/ZkBench.java, --warmup znodes per phase, so Apache's JIT is warm), then
captures loopback with tcpdump while the client (--client: the Java client, or kazoo) creates,
sets and gets --count znodes one at a time through a follower. From the packets carrying data it prints, per write, the median
microseconds of each hop:

- request → forward: the client's request reaches the follower, the follower's forward leaves;
- forward → proposal: the leader decides the write and sends its first proposal;
- proposal → first ack: a follower writes it, fsyncs and acknowledges;
- last peer message → reply: the follower answers its client after the last peer message;
- server: the client's request to the reply, all of the above;
- client: the reply to the client's next request (the client library's own threads);
and the number of peer messages (data packets between members) per write.

Needs tcpdump (`apt-get install tcpdump`) and root for the capture. The capture itself slows
both servers; compare the targets with each other, not with zk_bench.py's rates.

Usage: python3 Benchmarks/zookeeper/zk_hops.py [--targets petrel,apache] [--count 3000]
       [--warmup 20000] [--client java|kazoo] [--petrel-zookeeper .build/release/petrel-zookeeper]
"""
import argparse
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Interop"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from zk_bench import compile_java_bench, java_workload, kazoo_workload, three_nodes_with_leader  # noqa: E402


def data_packets(capture):
    """(time, source port, destination port, payload bytes) of each packet that carries data."""
    out = subprocess.run(["tcpdump", "-r", capture, "-nn", "-tt"], capture_output=True, text=True, check=True).stdout
    packets = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[-1] == "0" or not fields[-1].isdigit():
            continue
        source = fields[2].rsplit(".", 1)[1]
        destination = fields[4].rstrip(":").rsplit(".", 1)[1]
        packets.append((float(fields[0]), source, destination, int(fields[-1])))
    return packets


def hops(packets, client_port):
    """Per write: the hops named in the docstring, from the packets between a request to
    `client_port` and the next."""
    requests = [i for i, p in enumerate(packets) if p[2] == client_port]
    rows = []
    for start, following in zip(requests, requests[1:]):
        reply = next((i for i in range(start + 1, following) if packets[i][1] == client_port), None)
        if reply is None:
            continue
        peer = [p for p in packets[start + 1:reply] if client_port not in (p[1], p[2])]
        if not peer:
            continue  # a read, answered by the follower alone
        forward = peer[0]
        # The proposal carries the transaction: the first big peer message after the forward.
        proposal = next((p for p in peer[1:] if p[3] > 150), None)
        if proposal is None:
            continue
        ack = next((p for p in peer if p[0] > proposal[0] and p[3] < 40 and p[2] == forward[2]), None)
        begin, answered = packets[start][0], packets[reply][0]
        rows.append({
            "request → forward": forward[0] - begin,
            "forward → proposal": proposal[0] - forward[0],
            "proposal → first ack": (ack[0] - proposal[0]) if ack else None,
            "last peer message → reply": answered - peer[-1][0],
            "server": answered - begin,
            "client": packets[following][0] - answered,
            "peer messages": len(peer),
        })
    return rows


def measure(kind, args, classes, base):
    ensemble, host, _ = three_nodes_with_leader(kind, base)
    capture = str(base / f"{kind}.pcap")
    try:
        print(f"{kind}: warming up ({args.warmup} per phase)", file=sys.stderr, flush=True)
        java_workload(classes, host, args.warmup, 1, "/warm")
        tcpdump = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "96", "-w", capture, "tcp"], stderr=subprocess.DEVNULL)
        time.sleep(1)
        print(f"{kind}: capturing ({args.count} per phase, {args.client})", file=sys.stderr, flush=True)
        if args.client == "kazoo":
            kazoo_workload(host, args.count, 1, "/hops")
        else:
            java_workload(classes, host, args.count, 1, "/hops")
        tcpdump.send_signal(signal.SIGINT)
        tcpdump.wait(timeout=30)
        return hops(data_packets(capture), host.rsplit(":", 1)[1])
    finally:
        ensemble.shut_down()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="petrel,apache")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=20000)
    parser.add_argument("--client", choices=["java", "kazoo"], default="java", help="the client measured (warm-up is Java's)")
    parser.add_argument("--petrel-zookeeper", default=str(REPO / ".build" / "release" / "petrel-zookeeper"))
    args = parser.parse_args()
    if shutil.which("tcpdump") is None:
        sys.exit("zk_hops.py needs tcpdump: apt-get install tcpdump")
    os.environ.setdefault("PETREL_ZOOKEEPER_BIN", args.petrel_zookeeper)
    base = pathlib.Path(tempfile.mkdtemp(prefix="petrel-zk-hops-"))
    try:
        classes = compile_java_bench(base)
        results = {kind: measure(kind, args, classes, base) for kind in args.targets.split(",") if kind}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    names = {"petrel": "Petrel", "apache": "Apache ZooKeeper 3.8", "baseline": "Petrel baseline"}
    keys = ["request → forward", "forward → proposal", "proposal → first ack", "last peer message → reply", "server", "client"]
    client = "Java client" if args.client == "java" else "kazoo"
    print(f"\nOne-at-a-time writes through a follower, {client}, median µs per write (tcpdump on loopback)\n")
    print("| target | writes | " + " | ".join(keys) + " | peer messages per write |")
    print("|---|---|" + "---|" * (len(keys) + 1))
    for kind, rows in results.items():
        if not rows:
            print(f"| {names.get(kind, kind)} | 0 |" + " |" * (len(keys) + 1))
            continue
        cells = []
        for key in keys:
            values = [row[key] for row in rows if row[key] is not None]
            cells.append(f"{statistics.median(values) * 1e6:,.0f}" if values else "n/a")
        messages = statistics.mean(row["peer messages"] for row in rows)
        print(f"| {names.get(kind, kind)} | {len(rows):,} | " + " | ".join(cells) + f" | {messages:.1f} |")


if __name__ == "__main__":
    main()
