#!/usr/bin/env python3
"""A one-at-a-time write through a follower as a timeline of system calls, in a 3-node Petrel
ensemble and a 3-node Apache ZooKeeper 3.8 ensemble, from the kernel's syscall tracepoints.

For each target in turn it starts an ensemble, warms it with ZooKeeper's Java client
(Benchmarks/zookeeper/ZkBench.java), starts the Java client creating, setting and getting
--count znodes one at a time through a follower, and once its creates are done records for
--seconds (its sets) every socket send and receive, log write and fsync of the three members
and the client, and each member's epoll wake-ups, with ftrace's raw_syscalls events. Each
socket is named by the process at its other end (J the client, F* the follower it talks to,
L the leader, F the other follower), from /proc. Each write runs from one client request to
the next; for every event it prints the median microseconds from the request to the event's
first occurrence in a write (and to its second, third, ... as "#2", "#3"), the share of
writes that had it and how many a write had, in the order of those medians.

It shows which hop a write waits for: for example that a follower's reply left after its own
acknowledgement to the leader (the session of 2026-12-03 moved it ahead). The medians are
taken event by event, so their order is typical, not that of every write.

Unlike zk_hops.py (tcpdump) it copies no packets; each traced call costs about a
microsecond. Needs root and the kernel's tracefs (/sys/kernel/tracing).

Usage: python3 Benchmarks/zookeeper/zk_syscalls.py [--targets petrel,apache] [--count 8000]
       [--seconds 3] [--warmup 10000] [--petrel-zookeeper .build/release/petrel-zookeeper]
"""
import argparse
import collections
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Interop"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from zk_bench import APACHE_CLASSPATH, compile_java_bench, java_workload, three_nodes_with_leader  # noqa: E402
from zk_turns import TRACING, write_tracing  # noqa: E402

# x86-64 system call numbers of the calls that move a write along.
CALLS = {0: "read", 1: "write", 18: "pwrite", 19: "readv", 20: "writev", 44: "sendto", 45: "recvfrom",
         46: "sendmsg", 47: "recvmsg", 74: "fsync", 75: "fdatasync", 232: "epoll_wait", 281: "epoll_pwait"}
SENDS = {"write", "writev", "sendto", "sendmsg"}
RECEIVES = {"read", "readv", "recvfrom", "recvmsg"}
EVENT = re.compile(r"-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): sys_(enter|exit): NR (\d+) (?:\(([0-9a-f]+),|= (-?\d+))")


def socket_ports():
    """inode → (local port, remote port) of every TCP socket."""
    ports = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in pathlib.Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            ports[fields[9]] = (int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def descriptors(pid, ports):
    """fd → (local port, remote port) for the process's TCP sockets."""
    found = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        match = re.fullmatch(r"socket:\[(\d+)\]", link)
        if match and match.group(1) in ports:
            found[int(fd)] = ports[match.group(1)]
    return found


def trace(roles, seconds):
    """Records the calls of every thread of `roles` (role → pid) for `seconds`."""
    threads = {int(tid): role for role, pid in roles.items() for tid in os.listdir(f"/proc/{pid}/task")}
    write_tracing("tracing_on", "0")
    write_tracing("trace", "")
    write_tracing("buffer_size_kb", "60000")
    write_tracing("set_event_pid", " ".join(map(str, threads)))
    only = " || ".join(f"id == {number}" for number in CALLS)
    for event in ("sys_enter", "sys_exit"):
        write_tracing(f"events/raw_syscalls/{event}/filter", only)
        write_tracing(f"events/raw_syscalls/{event}/enable", "1")
    try:
        write_tracing("tracing_on", "1")
        time.sleep(seconds)
        write_tracing("tracing_on", "0")
    finally:
        for event in ("sys_enter", "sys_exit"):
            write_tracing(f"events/raw_syscalls/{event}/enable", "0")
            write_tracing(f"events/raw_syscalls/{event}/filter", "0")
        write_tracing("set_event_pid", "")
    return threads, (TRACING / "trace").read_text()


def events(text, threads, sockets, owner):
    """(time, role, what, peer role) of each send, receive (with data), log write, fsync
    start and end, and epoll wake-up with events."""
    pending = {}
    out = []
    for line in text.splitlines():
        match = EVENT.search(line)
        if not match:
            continue
        tid, stamp, phase, number = int(match.group(1)), float(match.group(2)), match.group(3), int(match.group(4))
        role = threads.get(tid)
        name = CALLS.get(number)
        if role is None or name is None:
            continue
        if phase == "enter":
            fd = int(match.group(5), 16)
            pending[tid] = (name, fd)
            peer = sockets[role].get(fd)
            if name in ("fsync", "fdatasync"):
                out.append((stamp, role, "fsync>", ""))
            elif name == "pwrite":
                out.append((stamp, role, "log write", ""))
            elif name in SENDS and peer:
                out.append((stamp, role, "send", owner.get(peer[1], "?")))
            continue
        if tid not in pending:
            continue
        name, fd = pending.pop(tid)
        result = int(match.group(6) or 0)
        peer = sockets[role].get(fd)
        if name in ("fsync", "fdatasync"):
            out.append((stamp, role, "fsync<", ""))
        elif name in ("epoll_wait", "epoll_pwait") and result > 0 and role != "J":
            out.append((stamp, role, "epoll wake", ""))
        elif name in RECEIVES and result > 0 and peer:
            out.append((stamp, role, "recv", owner.get(peer[1], "?")))
    return sorted(out)


def timeline(found):
    """Per event and occurrence: its median offset from the write's request, the share of
    writes that had it, and its mean count per write."""
    starts = [i for i, (_, role, what, peer) in enumerate(found) if (role, what, peer) == ("J", "send", "F*")]
    offsets = collections.defaultdict(list)
    counts = collections.Counter()
    writes = 0
    for start, end in zip(starts, starts[1:]):
        origin = found[start][0]
        seen = collections.Counter()
        for stamp, role, what, peer in found[start:end]:
            key = f"{role} {what} {peer}".strip()
            counts[key] += 1
            seen[key] += 1
            offsets[key if seen[key] == 1 else f"{key} #{seen[key]}"].append((stamp - origin) * 1e6)
        offsets["(next request)"].append((found[end][0] - origin) * 1e6)
        writes += 1
    return writes, offsets, counts


def measure(kind, args, classes, base):
    ensemble, host, leader = three_nodes_with_leader(kind, base)
    client = None
    try:
        print(f"{kind}: warming up ({args.warmup} per phase)", file=sys.stderr, flush=True)
        java_workload(classes, host, args.warmup, 64, "/warm64")
        java_workload(classes, host, max(args.warmup // 4, 1), 1, "/warm1")
        roles = {("L" if node is leader else "F*" if node.address == host else "F"): node.process.pid for node in ensemble.nodes}
        client = subprocess.Popen(
            ["java", "-cp", f"{APACHE_CLASSPATH}:{classes}", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
             "ZkBench", host, "/traced", str(args.count), "1"], stdout=subprocess.PIPE, text=True)
        roles["J"] = client.pid
        first = client.stdout.readline()
        if not first.startswith("create"):
            raise RuntimeError(f"{kind}: the Java client stopped before its sets")
        time.sleep(0.3)
        ports = socket_ports()
        sockets = {role: descriptors(pid, ports) for role, pid in roles.items()}
        owner = {local: role for role, found in sockets.items() for local, _ in found.values()}
        print(f"{kind}: tracing {args.seconds:g} s of sets", file=sys.stderr, flush=True)
        threads, text = trace(roles, args.seconds)
        client.communicate(timeout=600)
        return timeline(events(text, threads, sockets, owner))
    finally:
        if client and client.poll() is None:
            client.kill()
        ensemble.shut_down()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="petrel,apache")
    parser.add_argument("--count", type=int, default=8000, help="znodes the Java client creates, sets and gets")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to trace its sets")
    parser.add_argument("--warmup", type=int, default=10000)
    parser.add_argument("--petrel-zookeeper", default=str(REPO / ".build" / "release" / "petrel-zookeeper"))
    args = parser.parse_args()
    if os.geteuid() != 0 or not (TRACING / "events" / "raw_syscalls").exists():
        sys.exit("zk_syscalls.py needs root and the kernel's tracefs at /sys/kernel/tracing (mount -t tracefs nodev /sys/kernel/tracing)")
    binary = pathlib.Path(args.petrel_zookeeper)
    if "petrel" in args.targets.split(",") and not binary.exists():
        sys.exit(f"{binary} not found: swift build -c release --product petrel-zookeeper --static-swift-stdlib")
    os.environ["PETREL_ZOOKEEPER_BIN"] = str(binary.resolve())
    with tempfile.TemporaryDirectory(prefix="zk-syscalls-") as directory:
        base = pathlib.Path(directory)
        classes = compile_java_bench(base)
        for kind in args.targets.split(","):
            writes, offsets, counts = measure(kind, args, classes, base)
            if not writes:
                sys.exit(f"{kind}: no whole write was traced; try more --seconds")
            name = "Petrel" if kind == "petrel" else "Apache ZooKeeper 3.8"
            print(f"\n{name}: {writes:,} writes traced, median {statistics.median(offsets['(next request)']):,.0f} µs from one request to the next")
            print("| µs after the request | event | in writes | per write |\n|---|---|---|---|")
            for key, values in sorted(offsets.items(), key=lambda item: statistics.median(item[1])):
                if key == "(next request)" or len(values) < writes / 5:
                    continue
                per_write = f"{counts[key] / writes:.2f}" if key in counts else ""
                print(f"| {statistics.median(values):,.0f} | {key} | {len(values) / writes:.0%} | {per_write} |")


if __name__ == "__main__":
    main()
