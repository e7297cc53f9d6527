#!/usr/bin/env python3
"""Petrel's coordination service beside Apache ZooKeeper 3.8 (Debian's package), in one run on
this machine: the same workloads against each, taking turns.

It starts an ensemble of --nodes nodes on loopback (1 = standalone) for each target, then
takes turns between them, workload by workload (progress and each figure on stderr):
- kazoo (Python) creates, sets and gets --kazoo-count 100-byte znodes one at a time and with 64
  requests outstanding;
- ZooKeeper's own Java client (Benchmarks/zookeeper/ZkBench.java, compiled here against the
  Debian jar) does the same with --java-count znodes, one at a time and 64 outstanding;
- resident memory (VmRSS) of the ensemble's processes, idle and after the load;
- with 3 or more nodes: kill -9 of the leader, and the time until a client connected to the
  other nodes commits its next write.
Clients connect to a follower in an ensemble (the node itself when standalone). Prints a
Markdown table (with two targets, the ratio of rates is the median over rounds of the two
targets' rates in the same round, measured back to back), and the share of CPU time the host's hypervisor took for other guests
(steal) while the workloads ran: on a shared host it swings from 0 to half under load.

Usage: python3 Benchmarks/zookeeper/zk_bench.py [--nodes 1|3] [--petrel .build/release/petrel]
       [--petrel-zookeeper .build/release/petrel-zookeeper] [--rounds 3]
       [--targets petrel,apache] [--kazoo-count 2000] [--java-count 20000]
       [--clients kazoo,java] [--windows 1,64]
To see what a change does: --targets petrel,baseline --baseline <petrel-zookeeper of the
build before it>.
"""
import argparse
import collections
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Interop"))
from zookeeper_nodes import APACHE_CLASSPATH, Ensemble, four_letter_word  # noqa: E402
from zk_probe import cpu_seconds  # noqa: E402

from kazoo.client import KazooClient  # noqa: E402

DATA = b"x" * 100


def cpu_times():
    """(steal, total) jiffies of all CPUs from /proc/stat."""
    fields = [int(v) for v in pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is within user already)
    return fields[7], sum(fields[:8])


def steal_share(before, after):
    """The share of the CPUs' time the hypervisor gave to others between two cpu_times():
    on a shared host it swings from 0 to half under load, and every rate with it."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def rss_mib(nodes):
    total = 0
    for node in nodes:
        if not node.alive():
            continue
        for line in pathlib.Path(f"/proc/{node.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def kazoo_phase(zk, phase, paths, window):
    """ops/s of one phase; window 1 = synchronous calls."""
    start = time.perf_counter()
    if window == 1:
        for path in paths:
            if phase == "create":
                zk.create(path, DATA)
            elif phase == "setData":
                zk.set(path, DATA)
            else:
                zk.get(path)
    else:
        pending = collections.deque()
        for path in paths:
            if len(pending) >= window:
                pending.popleft().get(timeout=30)
            if phase == "create":
                pending.append(zk.create_async(path, DATA))
            elif phase == "setData":
                pending.append(zk.set_async(path, DATA))
            else:
                pending.append(zk.get_async(path))
        while pending:
            pending.popleft().get(timeout=30)
    return len(paths) / (time.perf_counter() - start)


def kazoo_workload(hosts, count, window, root):
    zk = KazooClient(hosts=hosts, timeout=30)
    zk.start(timeout=30)
    try:
        zk.ensure_path(root)
        paths = [f"{root}/n{i}" for i in range(count)]
        return {phase: kazoo_phase(zk, phase, paths, window) for phase in ("create", "setData", "getData")}
    finally:
        zk.stop()
        zk.close()


def compile_java_bench(directory):
    """Compiles ZkBench.java against the Debian ZooKeeper jars into `directory`/classes."""
    classes = pathlib.Path(directory) / "classes"
    classes.mkdir()
    subprocess.run(["javac", "-cp", APACHE_CLASSPATH, "-d", str(classes), str(pathlib.Path(__file__).with_name("ZkBench.java"))],
                   check=True)
    return classes


def java_workload(classes, hosts, count, window, root):
    out = subprocess.run(
        ["java", "-cp", f"{APACHE_CLASSPATH}:{classes}", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "ZkBench", hosts, root, str(count), str(window)],
        capture_output=True, text=True, timeout=600, check=True)
    result = {}
    for line in out.stdout.splitlines():
        phase, ops, seconds, errors = line.split()
        if int(errors):
            raise RuntimeError(f"{errors} {phase} errors from the Java client")
        result[phase] = int(ops) / float(seconds)
    return result


def leader_of(ensemble):
    for node in ensemble.nodes:
        if node.alive() and "Mode: leader" in four_letter_word(node.port, "srvr"):
            return node
    return None


def three_nodes_with_leader(kind, base):
    """A 3-node ensemble of `kind` under `base`, started; with the address of a follower for
    clients and the leader node. The caller shuts it down."""
    ensemble = Ensemble(base / kind, size=3, kind=kind, config={"tickTime": "2000"}).start()
    time.sleep(1)
    leader = leader_of(ensemble)
    if leader is None:
        ensemble.shut_down()
        raise RuntimeError(f"{kind}: no leader")
    return ensemble, client_host(ensemble, 3), leader


def failover_seconds(ensemble):
    """kill -9 of the leader → the next committed write of a client on the other nodes."""
    leader = leader_of(ensemble)
    if leader is None:
        raise RuntimeError("no leader found with srvr")
    others = ",".join(n.address for n in ensemble.nodes if n is not leader)
    zk = KazooClient(hosts=others, timeout=10, connection_retry={"max_tries": -1, "delay": 0.05, "max_delay": 0.1})
    zk.start(timeout=30)
    try:
        zk.ensure_path("/failover")
        zk.set("/failover", b"before")
        killed = time.perf_counter()
        leader.kill()
        deadline = killed + 60
        while time.perf_counter() < deadline:
            try:
                zk.set("/failover", b"after")
                return time.perf_counter() - killed
            except Exception:
                time.sleep(0.01)
        raise RuntimeError("no write committed within 60 s of the leader's death")
    finally:
        zk.stop()
        zk.close()


def client_host(ensemble, nodes):
    """Through a follower in an ensemble (writes forwarded to the leader, as most clients see it)."""
    target = ensemble.nodes[-1]
    if nodes > 1:
        target = next((n for n in ensemble.nodes if "Mode: follower" in four_letter_word(n.port, "srvr")), target)
    return target.address


def settle(ensembles, timeout=20.0):
    """Waits until every ensemble's processes are nearly idle (under a tenth of a core over
    half a second), so that one target's leftover work (a JVM's collections, a background
    snapshot) does not weigh on the next target's workload."""
    nodes = [node for ensemble in ensembles.values() for node in ensemble.nodes if node.alive()]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(nodes)
        time.sleep(0.5)
        if cpu_seconds(nodes) - before < 0.05:
            return
    print(f"  (the servers did not settle within {timeout:.0f} s; measuring anyway)", file=sys.stderr, flush=True)


def measure(kinds, args, classes, base):
    """Runs every target's ensemble at once and takes turns between them, workload by
    workload (the first target alternating by round, each workload starting once all servers
    are idle), so that the machine's load, which drifts over minutes on a shared host, weighs
    on each target alike."""
    ensembles = {}
    rows = {kind: {} for kind in kinds}
    try:
        for kind in kinds:
            print(f"starting {kind} ({args.nodes} node{'s' if args.nodes > 1 else ''})", file=sys.stderr, flush=True)
            ensembles[kind] = Ensemble(base / kind, size=args.nodes, kind=kind, config={"tickTime": "2000"}).start()
        time.sleep(1)
        hosts = {}
        for kind, ensemble in ensembles.items():
            rows[kind]["rss idle"] = rss_mib(ensemble.nodes)
            hosts[kind] = client_host(ensemble, args.nodes)
        samples = {kind: collections.defaultdict(list) for kind in kinds}
        steals = []
        for round_ in range(args.rounds):
            order = kinds if round_ % 2 == 0 else kinds[::-1]
            for window in args.windows:
                for client in args.clients:
                    for kind in order:
                        settle(ensembles)
                        before = cpu_times()
                        if client == "kazoo":
                            result = kazoo_workload(hosts[kind], args.kazoo_count, window, f"/kazoo{window}r{round_}")
                        else:
                            result = java_workload(classes, hosts[kind], args.java_count, window, f"/java{window}r{round_}")
                        steal = steal_share(before, cpu_times())
                        steals.append(steal)
                        for phase, value in result.items():
                            samples[kind][f"{client} {phase} w{window}"].append(value)
                        figures = ", ".join(f"{phase} {value:,.0f}/s" for phase, value in result.items())
                        print(f"  round {round_ + 1}/{args.rounds}, {client}, window {window}, {kind}: {figures}"
                              f" (host steal {steal:.0%})", file=sys.stderr, flush=True)
        for kind in kinds:
            # The median of the rounds: single runs swing by tens of percent on a shared machine.
            for key, values in samples[kind].items():
                rows[kind][key] = statistics.median(values)
            rows[kind]["rss loaded"] = rss_mib(ensembles[kind].nodes)
        if len(kinds) == 2:
            # The two targets' figures of one round ran back to back, under about the same
            # steal; the median of those ratios is steadier than the ratio of the medians,
            # whose rounds may come from minutes with different steal.
            first, second = (samples[kind] for kind in kinds)
            args.round_ratios = {key: statistics.median(a / b for a, b in zip(first[key], second[key]) if b)
                                 for key in first if key in second and any(second[key])}
        args.steals = steals
        if args.nodes >= 3:
            for kind in kinds:
                print(f"  {kind}: leader kill", file=sys.stderr, flush=True)
                rows[kind]["failover"] = failover_seconds(ensembles[kind])
    finally:
        for ensemble in ensembles.values():
            ensemble.shut_down()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--petrel", default=str(REPO / ".build" / "release" / "petrel"))
    parser.add_argument("--petrel-zookeeper", default=None,
                        help="run Petrel's nodes with this ZooKeeper-only binary (petrel-zookeeper CONFIG, "
                             "as the ZooKeeper image does) instead of `petrel zookeeper CONFIG`")
    parser.add_argument("--targets", default="petrel,apache")
    parser.add_argument("--rounds", type=int, default=1, help="run each workload this many times and report the median")
    parser.add_argument("--kazoo-count", type=int, default=2000)
    parser.add_argument("--java-count", type=int, default=20000)
    parser.add_argument("--clients", default="kazoo,java", help="which clients' workloads to run")
    parser.add_argument("--windows", default="1,64", help="outstanding requests per workload: 1, 64 or both")
    parser.add_argument("--baseline", default=None,
                        help="a petrel-zookeeper binary of another build, measured as the target `baseline` "
                             "(--targets petrel,baseline) to see what a change does, in turns as always")
    args = parser.parse_args()
    args.clients = [c for c in args.clients.split(",") if c]
    args.windows = [int(w) for w in args.windows.split(",") if w]
    if set(args.clients) - {"kazoo", "java"} or set(args.windows) - {1, 64}:
        parser.error("--clients takes kazoo and/or java, --windows 1 and/or 64")
    os.environ["PETREL_BIN"] = args.petrel
    if args.petrel_zookeeper:
        os.environ["PETREL_ZOOKEEPER_BIN"] = args.petrel_zookeeper
    if args.baseline:
        os.environ["PETREL_BASELINE_BIN"] = args.baseline
    elif "baseline" in args.targets.split(","):
        parser.error("the target `baseline` needs --baseline BINARY")
    args.round_ratios = {}
    base = pathlib.Path(tempfile.mkdtemp(prefix="petrel-zk-bench-"))
    try:
        classes = compile_java_bench(base)
        rows = measure(args.targets.split(","), args, classes, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    kinds = list(rows)
    names = {"petrel": "Petrel", "apache": "Apache ZooKeeper 3.8", "baseline": "Petrel baseline"}
    ratio_name = f"{names[kinds[0]]} / {names[kinds[1]]}" if len(kinds) == 2 else ""
    header = "| measure | " + " | ".join(names[k] for k in kinds) + (f" | {ratio_name} |" if len(kinds) == 2 else " |")
    print(f"\n{args.nodes} node(s) on loopback; 100-byte znodes; kazoo {args.kazoo_count} and Java client {args.java_count} per phase;"
          f" median of {args.rounds} round(s)")
    if len(kinds) == 2 and args.rounds > 1:
        print("ratio of rates: the median over rounds of the two targets' rates in the same round (measured back to back)")
    if args.steals:
        # Steal is CPU time the host gave to other guests: rates fall with it, so runs on
        # different days compare only through their ratios, and a high share makes even those noisy.
        print(f"host steal during the timed workloads: median {statistics.median(args.steals):.0%}"
              f" (range {min(args.steals):.0%}–{max(args.steals):.0%})")
    print()
    print(header)
    print("|" + "---|" * (len(kinds) + 1 + (1 if len(kinds) == 2 else 0)))
    for key in rows[kinds[0]]:
        client, _, rest = key.partition(" ")
        if key.startswith("rss"):
            label, fmt = f"resident memory, {rest} (MiB)", "{:,.0f}"
        elif key == "failover":
            label, fmt = "leader kill → next committed write (s)", "{:.2f}"
        else:
            phase, window = rest.split(" w")
            label = f"{'kazoo' if client == 'kazoo' else 'Java client'} {phase}/s, {'one at a time' if window == '1' else window + ' outstanding'}"
            fmt = "{:,.0f}"
        values = [rows[k].get(key) for k in kinds]
        cells = [fmt.format(v) if v is not None else "n/a" for v in values]
        ratio = ""
        if len(kinds) == 2 and key in args.round_ratios:
            ratio = f" {args.round_ratios[key]:.2f} |"
        elif len(kinds) == 2 and all(values):
            ratio = f" {values[0] / values[1]:.2f} |"
        print(f"| {label} | " + " | ".join(cells) + " |" + ratio)


if __name__ == "__main__":
    main()
