#!/usr/bin/env python3
"""How long a librdkafka consumer group takes to stabilise on a Petrel broker after a member
joins or leaves, beside librdkafka's in-process mock cluster measured in the same run.

A group of three confluent-kafka consumers (each polled in its own thread) is formed on a
12-partition topic; then, repeatedly, a fourth member joins (3 → 4) and leaves again with a
clean close (4 → 3). The time of one step runs from the fourth member's subscribe (or close)
until every member has its new assignment: each partition owned by exactly one member, the
partitions split evenly, and, with the eager `range` assignor, every member through a fresh
assignment (cooperative-sticky moves only the partitions that change owner). Members learn of a
rebalance from their next heartbeat, so `heartbeat.interval.ms` bounds most of the figure; it
is measured at librdkafka's default (3000 ms) and at 300 ms.

Usage: python3 Benchmarks/broker/group_bench.py [--rounds 5] [--petrel .build/debug/petrel] [--no-mock]
Prints a Markdown table of median (min–max) milliseconds.
"""
import argparse
import shutil
import statistics
import threading
import time

import confluent_kafka as ck
from bench_targets import start_mock, start_petrel

PARTITIONS = 12
TOPIC = "group-bench"


class Member:
    """A consumer polled in its own thread; counts the assignments it received."""

    def __init__(self, bootstrap, group, strategy, heartbeat_ms, name):
        self.lock = threading.Lock()
        self.owned = set()
        self.assignments = 0
        self.cooperative = strategy == "cooperative-sticky"
        self.consumer = ck.Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
            "partition.assignment.strategy": strategy, "heartbeat.interval.ms": heartbeat_ms,
            "session.timeout.ms": max(6000, heartbeat_ms * 3), "enable.auto.commit": False,
        })
        self.consumer.subscribe([TOPIC], on_assign=self.on_assign, on_revoke=self.on_revoke, on_lost=self.on_revoke)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def on_assign(self, consumer, partitions):
        with self.lock:
            got = {p.partition for p in partitions}
            self.owned = self.owned | got if self.cooperative else got
            self.assignments += 1

    def on_revoke(self, consumer, partitions):
        with self.lock:
            self.owned = self.owned - {p.partition for p in partitions} if self.cooperative else set()

    def run(self):
        while not self.stop.is_set():
            self.consumer.poll(0.01)

    def state(self):
        with self.lock:
            return set(self.owned), self.assignments

    def close(self):
        self.stop.set()
        self.thread.join()
        self.consumer.close()


def covered(members):
    owned = [m.state()[0] for m in members]
    flat = [p for s in owned for p in s]
    return len(flat) == PARTITIONS and set(flat) == set(range(PARTITIONS))


def wait_stable(members, marks, eager, timeout=120):
    """Until the partitions are split evenly among `members`, each owned once (and, eager,
    every member went through a new assignment)."""
    deadline = time.monotonic() + timeout
    share = PARTITIONS // len(members)
    while time.monotonic() < deadline:
        fresh = all(m.state()[1] > marks.get(id(m), 0) for m in members) if eager else True
        if fresh and covered(members) and all(len(m.state()[0]) == share for m in members):
            return
        time.sleep(0.002)
    raise RuntimeError("the group did not stabilise")


def measure(bootstrap, strategy, heartbeat_ms, rounds):
    group = f"bench-{strategy}-{heartbeat_ms}-{time.monotonic_ns()}"
    eager = strategy != "cooperative-sticky"
    members = [Member(bootstrap, group, strategy, heartbeat_ms, f"m{i}") for i in range(3)]
    wait_stable(members, {}, eager)
    time.sleep(1)
    joins, leaves = [], []
    try:
        for r in range(rounds):
            marks = {id(m): m.state()[1] for m in members}
            started = time.monotonic()
            extra = Member(bootstrap, group, strategy, heartbeat_ms, f"extra{r}")
            wait_stable(members + [extra], marks, eager)
            joins.append((time.monotonic() - started) * 1000)
            time.sleep(0.5)
            marks = {id(m): m.state()[1] for m in members}
            started = time.monotonic()
            extra.close()
            wait_stable(members, marks, eager)
            leaves.append((time.monotonic() - started) * 1000)
            time.sleep(0.5)
    finally:
        for m in members:
            m.close()
    return joins, leaves


def summary(values):
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--petrel", default=".build/debug/petrel")
    parser.add_argument("--no-mock", action="store_true")
    args = parser.parse_args()

    petrel, petrel_address = start_petrel(args.petrel, [(TOPIC, PARTITIONS)], prefix="petrel-group-bench-")
    mock, mock_address = (None, None) if args.no_mock else start_mock([(TOPIC, PARTITIONS)])
    targets = [("Petrel", petrel_address)] + ([] if args.no_mock else [("librdkafka mock", mock_address)])
    rows = []
    try:
        for strategy in ("range", "cooperative-sticky"):
            for heartbeat in (3000, 300):
                row = {"strategy": strategy, "heartbeat": heartbeat}
                for name, address in targets:
                    row[name] = measure(address, strategy, heartbeat, args.rounds)
                rows.append(row)
    finally:
        petrel[0].terminate()
        petrel[0].wait(30)
        shutil.rmtree(petrel[1], ignore_errors=True)

    names = [name for name, _ in targets]
    print(f"\n3-member librdkafka {ck.libversion()[0]} group, {PARTITIONS} partitions, {args.rounds} rounds; "
          f"median (min–max) ms from the 4th member's subscribe/close until every member has its assignment\n")
    header = "| assignor | heartbeat.interval.ms | step | " + " | ".join(names) + " |"
    print(header)
    print("|" + "---|" * (3 + len(names)))
    for row in rows:
        for step, index in (("join (3 → 4)", 0), ("leave (4 → 3)", 1)):
            cells = " | ".join(summary(row[name][index]) for name in names)
            print(f"| {row['strategy']} | {row['heartbeat']} | {step} | {cells} |")


if __name__ == "__main__":
    main()
