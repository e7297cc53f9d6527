#!/usr/bin/env python3
"""Who has the CPU while kazoo writes one znode at a time through a follower, in a 3-node
Petrel ensemble and a 3-node Apache ZooKeeper 3.8 ensemble, from the kernel's scheduler trace.

For each target in turn it starts an ensemble, runs kazoo in a process of its own (it creates
--count znodes and sets each once, untimed, then sets each again while traced, or with
--op create creates as many new ones), and records
with ftrace the scheduler's switches and wake-ups and kazoo's socket calls. Each write is two
turns:

- server: from kazoo's request (its send) to its reading the reply's body;
- client: from there to kazoo's next request (kazoo's own Python threads);

and for each turn it prints the mean and median microseconds of: the turn itself; the CPU time
of each process in it (the follower the client talks to, the leader, the other follower,
kazoo, anything else, and idle, summed over both cores); the wake-ups of each process's
threads and the time those threads waited to run after being woken; and how often kazoo was
preempted.

It answers whether the servers' work competes with kazoo in kazoo's turn (the question the
README's kazoo rows raised): the CPU the servers use in the client turn is that work.

Needs root and the kernel's tracefs (/sys/kernel/tracing). Tracing slows both servers, the
JVM's many threads more; compare the turns' make-up, not the rates, with zk_bench.py.

Usage: python3 Benchmarks/zookeeper/zk_turns.py [--targets petrel,apache] [--count 3000]
       [--op set|create] [--petrel-zookeeper .build/release/petrel-zookeeper]
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
from zk_bench import three_nodes_with_leader  # noqa: E402

TRACING = pathlib.Path("/sys/kernel/tracing")
EVENTS = ["sched:sched_switch", "sched:sched_wakeup", "syscalls:sys_enter_sendto", "syscalls:sys_exit_recvfrom"]

# kazoo in a process of its own, so its threads are told apart from the runner's.
CLIENT = """
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], timeout=30)
zk.start(timeout=30)
zk.ensure_path("/turns")
paths = [f"/turns/n{i}" for i in range(int(sys.argv[2]))]
for path in paths:
    zk.create(path, b"x" * 100)
for path in paths:
    zk.set(path, b"y" * 100)
print("ready", flush=True)
sys.stdin.readline()
if sys.argv[3] == "create":
    for path in paths:
        zk.create(path + "c", b"x" * 100)
else:
    for path in paths:
        zk.set(path, b"x" * 100)
print("done", flush=True)
zk.stop()
zk.close()
"""

LINE = re.compile(r"^\s*.+?-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (\w+):? ?(.*)$")
SWITCH = re.compile(r"prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=.* next_pid=(\d+)")


def write_tracing(name, value, append=False):
    # tracefs wants one write per request; Python's "a" mode is refused (EINVAL).
    fd = os.open(TRACING / name, os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC))
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def threads(pid):
    return {int(tid) for tid in os.listdir(f"/proc/{pid}/task")}


def trace_turns(client, kazoo_threads):
    """Traces from kazoo's go to its done; returns the trace's text."""
    write_tracing("tracing_on", "0")
    write_tracing("trace", "")
    write_tracing("trace_clock", "mono")
    write_tracing("buffer_size_kb", "200000")
    write_tracing("set_event", "")
    for event in EVENTS:
        write_tracing("set_event", event + "\n", append=True)
    only_kazoo = " || ".join(f"common_pid == {tid}" for tid in sorted(kazoo_threads))
    for event in ("sys_enter_sendto", "sys_exit_recvfrom"):
        write_tracing(f"events/syscalls/{event}/filter", only_kazoo)
    try:
        write_tracing("tracing_on", "1")
        client.stdin.write("go\n")
        client.stdin.flush()
        if client.stdout.readline().strip() != "done":
            raise RuntimeError("the kazoo client stopped before its traced writes were done")
        write_tracing("tracing_on", "0")
        return (TRACING / "trace").read_text()
    finally:
        write_tracing("tracing_on", "0")
        write_tracing("set_event", "")
        for event in ("sys_enter_sendto", "sys_exit_recvfrom"):
            write_tracing(f"events/syscalls/{event}/filter", "0")
        write_tracing("trace", "")


def turns(trace, roles, kazoo_threads):
    """Splits the trace into server and client turns and accounts each (see the docstring)."""
    running = {}  # cpu -> (tid, since)
    woken = {}  # tid -> when
    phase, began, current = None, 0.0, collections.defaultdict(float)
    done = {"server": [], "client": []}
    last_read = None

    def account(cpu, now):
        if phase and cpu in running:
            tid, since = running[cpu]
            role = "idle" if tid == 0 else roles.get(tid, "other")
            current[f"CPU {role}"] += now - max(since, began)

    def begin(next_phase, now):
        nonlocal phase, began, current
        for cpu in list(running):
            account(cpu, now)
            running[cpu] = (running[cpu][0], now)
        if phase:
            current["turn"] = now - began
            done[phase].append(dict(current))
        phase, began, current = next_phase, now, collections.defaultdict(float)

    for line in trace.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        pid, cpu, now, event, rest = int(match[1]), int(match[2]), float(match[3]), match[4], match[5]
        if event == "sched_switch":
            switch = SWITCH.search(rest)
            if not switch:
                continue
            account(cpu, now)
            previous, state, following = int(switch[1]), switch[2], int(switch[3])
            running[cpu] = (following, now)
            if phase and previous in kazoo_threads and state.startswith("R"):
                current["kazoo preemptions"] += 1
            if following in woken:
                since = woken.pop(following)
                if phase:
                    role = roles.get(following, "other")
                    current[f"wake-ups {role}"] += 1
                    current[f"wait to run {role}"] += now - since
        elif event == "sched_wakeup":
            wakee = re.search(r"pid=(\d+)", rest)
            if wakee:
                woken[int(wakee[1])] = now
        elif event == "sys_recvfrom" and pid in kazoo_threads:
            # kazoo reads a reply as its 4-byte length, then the body: the body ends the turn.
            after_length = last_read == "0x4"
            last_read = rest.rsplit("-> ", 1)[-1].strip()
            if phase == "server" and after_length:
                begin("client", now)
        elif event == "sys_sendto" and pid in kazoo_threads and "len: 1," not in rest and phase != "server":
            # One-byte sends wake kazoo's own connection thread; the others are requests.
            begin("server", now)
    # The first turn of each kind may have begun before the trace did.
    return {kind: records[1:] for kind, records in done.items()}


def measure(kind, count, base, op="set"):
    ensemble, host, leader = three_nodes_with_leader(kind, base)
    client = None
    try:
        print(f"{kind}: {count} creates and sets, untimed", file=sys.stderr, flush=True)
        client = subprocess.Popen([sys.executable, "-c", CLIENT, host, str(count), op],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if client.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{kind}: the kazoo client did not start")
        roles = {}
        for node in ensemble.nodes:
            role = "leader" if node is leader else ("follower (client's)" if node.address == host else "follower (other)")
            for tid in threads(node.process.pid):
                roles[tid] = role
        kazoo_threads = threads(client.pid)
        for tid in kazoo_threads:
            roles[tid] = "kazoo"
        print(f"{kind}: tracing {count} {op}s", file=sys.stderr, flush=True)
        started = time.perf_counter()
        trace = trace_turns(client, kazoo_threads)
        print(f"{kind}: {count / (time.perf_counter() - started):,.0f} {op}s/s while traced", file=sys.stderr, flush=True)
        client.wait(timeout=30)
        return turns(trace, roles, kazoo_threads)
    finally:
        if client and client.poll() is None:
            client.kill()
        ensemble.shut_down()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="petrel,apache")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--op", choices=["set", "create"], default="set", help="what the traced writes do")
    parser.add_argument("--petrel-zookeeper", default=str(REPO / ".build" / "release" / "petrel-zookeeper"))
    args = parser.parse_args()
    if not os.access(TRACING / "trace", os.W_OK):
        sys.exit(f"zk_turns.py needs root and the kernel's tracefs at {TRACING}")
    os.environ.setdefault("PETREL_ZOOKEEPER_BIN", args.petrel_zookeeper)
    base = pathlib.Path(tempfile.mkdtemp(prefix="petrel-zk-turns-"))
    results = {kind: measure(kind, args.count, base, args.op) for kind in args.targets.split(",") if kind}
    names = {"petrel": "Petrel", "apache": "Apache ZooKeeper 3.8", "baseline": "Petrel baseline"}
    for turn in ("server", "client"):
        keys = sorted({key for records in results.values() for record in records[turn] for key in record},
                      key=lambda key: (key != "turn", key))
        print(f"\nkazoo {'create' if args.op == 'create' else 'setData'} one at a time through a follower: the {turn} turn, mean / median per write "
              "(µs; wake-ups and preemptions are counts)\n")
        print("| | " + " | ".join(names.get(kind, kind) for kind in results) + " |")
        print("|---|" + "---|" * len(results))
        for key in keys:
            cells = []
            for records in results.values():
                values = [record.get(key, 0.0) for record in records[turn]] or [0.0]
                scale = 1 if key.startswith(("wake-ups", "kazoo preemptions")) else 1e6
                mean, median = statistics.mean(values) * scale, statistics.median(values) * scale
                cells.append(f"{mean:,.1f} / {median:,.1f}" if scale == 1 else f"{mean:,.0f} / {median:,.0f}")
            print(f"| {key} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
