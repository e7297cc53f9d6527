#!/usr/bin/env python3
"""What a kazoo operation costs the three members of an ensemble, Petrel beside Apache ZooKeeper
3.8: CPU time, thread switches and (with --syscalls, which needs perf and root) system calls
per operation, besides the rate and kazoo's own share of a core.

zk_bench.py says which server is faster; this says where the time goes when kazoo with 64
requests outstanding is a CPU race between the client and the members on a small machine.
It starts a 3-node ensemble of each target, warms each with ZooKeeper's Java client (two runs
of 20,000 creates, sets and gets with 64 outstanding, so Apache's JIT has compiled its paths),
then takes turns, round by round, each target's kazoo client creating, setting and getting
--count znodes through a follower with --window outstanding. CPU and switches are read from
/proc for every thread of the members (voluntary and involuntary switches); system calls are
counted by `perf stat` on the members' syscall tracepoints during each phase.

Usage: python3 Benchmarks/zookeeper/zk_cost.py [--targets petrel,apache] [--count 10000]
       [--window 64] [--rounds 2] [--syscalls] [--petrel-zookeeper BIN] [--baseline BIN]
"""
import argparse
import collections
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from zk_bench import (REPO, Ensemble, KazooClient, client_host, compile_java_bench, cpu_seconds,
                      java_workload, kazoo_phase, settle)

SYSCALLS = ["read", "recvfrom", "write", "writev", "sendmsg", "sendto", "pwrite64", "fdatasync",
            "futex", "epoll_wait", "epoll_ctl", "poll"]


def switches(nodes):
    """Context switches so far of every thread of the members."""
    total = 0
    for node in nodes:
        for task in pathlib.Path(f"/proc/{node.process.pid}/task").glob("*"):
            try:
                total += sum(int(line.split()[1]) for line in (task / "status").read_text().splitlines()
                             if "ctxt_switches" in line)
            except OSError:
                pass  # a thread that ended meanwhile
    return total


def count_syscalls(nodes):
    """`perf stat` on the members' syscall entries until stopped; returns a stop function that
    gives {name: count}."""
    pids = ",".join(str(node.process.pid) for node in nodes)
    events = ",".join(f"syscalls:sys_enter_{name}" for name in SYSCALLS)
    perf = subprocess.Popen(["perf", "stat", "-x", ";", "-e", events, "-p", pids],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # perf attaches to every thread before the phase starts

    def stop():
        perf.send_signal(2)
        _, text = perf.communicate(timeout=30)
        counts = {}
        for line in text.splitlines():
            fields = line.split(";")
            if len(fields) > 2 and fields[0].strip().isdigit():
                counts[fields[2].replace("syscalls:sys_enter_", "")] = int(fields[0])
        return counts
    return stop


def measure_phase(zk, nodes, phase, paths, window, syscalls):
    stop = count_syscalls(nodes) if syscalls else None
    cpu, switched, client = cpu_seconds(nodes), switches(nodes), resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    rate = kazoo_phase(zk, phase, paths, window)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    count = len(paths)
    row = {"rate": rate,
           "cpu": (cpu_seconds(nodes) - cpu) / count * 1e6,
           "switches": (switches(nodes) - switched) / count,
           "client": (after.ru_utime + after.ru_stime - client.ru_utime - client.ru_stime) / wall}
    if stop:
        row["syscalls"] = {name: value / count for name, value in stop().items() if value}
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="petrel,apache")
    parser.add_argument("--count", type=int, default=10000, help="znodes per phase")
    parser.add_argument("--window", type=int, default=64, help="kazoo requests outstanding (1: one at a time)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--syscalls", action="store_true", help="count system calls with perf (root)")
    parser.add_argument("--petrel-zookeeper", default=str(REPO / ".build" / "release" / "petrel-zookeeper"))
    parser.add_argument("--baseline", default=None, help="petrel-zookeeper of another build, as the target `baseline`")
    args = parser.parse_args()
    if args.syscalls and not shutil.which("perf"):
        sys.exit("--syscalls needs perf (Debian: linux-perf) and root")
    os.environ["PETREL_ZOOKEEPER_BIN"] = args.petrel_zookeeper
    kinds = args.targets.split(",")
    if "baseline" in kinds:
        if not args.baseline:
            parser.error("the target `baseline` needs --baseline BINARY")
        os.environ["PETREL_BASELINE_BIN"] = args.baseline
    base = pathlib.Path(tempfile.mkdtemp(prefix="petrel-zk-cost-"))
    ensembles = {}
    rows = collections.defaultdict(list)
    try:
        classes = compile_java_bench(base)
        for kind in kinds:
            print(f"starting {kind} (3 nodes)", file=sys.stderr, flush=True)
            ensembles[kind] = Ensemble(base / kind, size=3, kind=kind, config={"tickTime": "2000"}).start()
        time.sleep(1)
        hosts = {kind: client_host(ensemble, 3) for kind, ensemble in ensembles.items()}
        for kind in kinds:
            print(f"warming {kind} with the Java client", file=sys.stderr, flush=True)
            for run in range(2):
                java_workload(classes, hosts[kind], 20000, 64, f"/warm{run}")
        for round_ in range(args.rounds):
            for kind in (kinds if round_ % 2 == 0 else kinds[::-1]):
                settle(ensembles)
                zk = KazooClient(hosts=hosts[kind], timeout=30)
                zk.start(timeout=30)
                try:
                    zk.ensure_path(f"/cost{round_}")
                    paths = [f"/cost{round_}/n{i}" for i in range(args.count)]
                    for phase in ("create", "setData", "getData"):
                        row = measure_phase(zk, ensembles[kind].nodes, phase, paths, args.window, args.syscalls)
                        rows[(kind, phase)].append(row)
                        print(f"  round {round_ + 1}/{args.rounds}, {kind} {phase}: {row['rate']:,.0f}/s", file=sys.stderr, flush=True)
                finally:
                    zk.stop()
                    zk.close()
    finally:
        for ensemble in ensembles.values():
            ensemble.shut_down()
        shutil.rmtree(base, ignore_errors=True)

    print(f"\n3-node ensembles, kazoo through a follower, {args.window} outstanding, {args.count:,} per phase; "
          "one line per round; CPU and switches summed over the three members\n")
    print("| target | phase | ops/s | members' CPU µs/op | thread switches/op | kazoo's CPU (share of a core) |")
    print("|---|---|---|---|---|---|")
    for (kind, phase), samples in rows.items():
        for row in samples:
            print(f"| {kind} | {phase} | {row['rate']:,.0f} | {row['cpu']:,.0f} | {row['switches']:.1f} | {row['client']:.0%} |")
    if args.syscalls:
        print("\nSystem calls per operation in the three members (setData, each round)\n")
        for kind in kinds:
            for row in rows[(kind, "setData")]:
                calls = row.get("syscalls", {})
                listed = ", ".join(f"{name} {value:.1f}" for name, value in sorted(calls.items(), key=lambda c: -c[1]))
                print(f"- {kind}: {sum(calls.values()):.1f} ({listed})")


if __name__ == "__main__":
    main()
