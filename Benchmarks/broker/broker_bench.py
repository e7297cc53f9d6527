#!/usr/bin/env python3
"""Produce and consume throughput of a Petrel broker with a real client (confluent-kafka,
librdkafka), beside the same client against librdkafka's in-process mock cluster measured in
the same run (an in-memory Kafka with no disk: an upper bound for a real broker on this machine).

Usage: python3 Benchmarks/broker/broker_bench.py [--messages 1000000] [--petrel .build/release/petrel]
Prints a Markdown table; figures are ratios to the mock measured in the same run.
"""
import argparse
import shutil
import statistics
import sys
import time

import confluent_kafka as ck
from bench_targets import start_mock, start_petrel

PARTITIONS = 3
# The mock keeps only the newest ~5 MiB per partition: produce and consume in chunks that fit.
def chunk_size(size):
    return min(40_000, (4 << 20) // size)


def produce(bootstrap, topic, n, size, latencies):
    p = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": 1, "compression.type": "none",
                     "queue.buffering.max.messages": 2_000_000, "queue.buffering.max.kbytes": 2_000_000})
    payload = b"x" * size
    sample = max(1, n // 20_000)

    def report(err, msg):
        if err is not None:
            raise RuntimeError(err)
        latencies.append(msg.latency())

    start = time.perf_counter()
    for i in range(n):
        while True:
            try:
                if i % sample == 0:
                    p.produce(topic, payload, on_delivery=report)
                else:
                    p.produce(topic, payload)
                break
            except BufferError:
                p.poll(0.01)
        if i % 10_000 == 0:
            p.poll(0)
    remaining = p.flush(120)
    elapsed = time.perf_counter() - start
    if remaining:
        raise RuntimeError(f"{remaining} messages not delivered")
    return elapsed


def consume(bootstrap, topic, n, size):
    """Produces and consumes `n` messages in chunks; returns the seconds spent consuming."""
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False,
                            "fetch.wait.max.ms": 10, "auto.offset.reset": "latest"})
    spent = 0.0
    done = 0
    positions = {}
    payload = b"y" * size
    while done < n:
        chunk = min(chunk_size(size), n - done)
        p = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": 1})
        for _ in range(chunk):
            while True:
                try:
                    p.produce(topic, payload)
                    break
                except BufferError:
                    p.poll(0.01)
        p.flush(60)
        low_high = {}
        for part in range(PARTITIONS):
            low_high[part] = consumer.get_watermark_offsets(ck.TopicPartition(topic, part), timeout=10)
        consumer.assign([ck.TopicPartition(topic, part, positions.get(part, max(low_high[part][0], low_high[part][1] - chunk)))
                         for part in range(PARTITIONS)])
        target = sum(h - positions.get(part, max(lo, h - chunk)) for part, (lo, h) in low_high.items())
        got = 0
        start = time.perf_counter()
        deadline = start + 120
        while got < target:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"consumed {got} of {target} messages in 120 s")
            for m in consumer.consume(min(10_000, target - got), 1.0):
                if not m.error():
                    got += 1
                    positions[m.partition()] = m.offset() + 1
        spent += time.perf_counter() - start
        done += chunk
    consumer.close()
    return spent


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--petrel", default=".build/release/petrel")
    args = parser.parse_args()
    rows = []
    for size in (100, 1024):
        n = args.messages if size == 100 else args.messages // 4
        results = {}
        for target in ("mock", "petrel"):
            topic = f"bench-{size}"
            if target == "mock":
                handle, bootstrap = start_mock([(topic, PARTITIONS)])
            else:
                handle, bootstrap = start_petrel(args.petrel, [(topic, PARTITIONS), (topic + "-c", PARTITIONS)])
                time.sleep(0.5)
            try:
                latencies = []
                print(f"{target}: producing {n:,} x {size} B ...", file=sys.stderr, flush=True)
                produce_s = produce(bootstrap, topic, n, size, latencies)
                print(f"{target}: consuming {n:,} x {size} B ...", file=sys.stderr, flush=True)
                if target == "mock":
                    handle[0].rd_kafka_mock_topic_create(handle[2], (topic + "-c").encode(), PARTITIONS, 1)
                consume_s = consume(bootstrap, topic + "-c", n, size)
                latencies.sort()
                results[target] = {
                    "produce": n / produce_s, "produce_mb": n * size / produce_s / 1e6,
                    "p50": statistics.median(latencies) * 1000, "p99": latencies[int(len(latencies) * 0.99)] * 1000,
                    "consume": n / consume_s, "consume_mb": n * size / consume_s / 1e6,
                }
            finally:
                if target == "petrel":
                    proc, workdir = handle
                    proc.terminate()
                    proc.wait(30)
                    shutil.rmtree(workdir, ignore_errors=True)
        rows.append((size, n, results))
    print("| records | target | produce rec/s | produce MB/s | p50 ms | p99 ms | consume rec/s | consume MB/s |")
    print("|---|---|---|---|---|---|---|---|")
    for size, n, results in rows:
        for target in ("mock", "petrel"):
            r = results[target]
            print(f"| {n:,} × {size} B | {target} | {r['produce']:,.0f} | {r['produce_mb']:,.1f} | {r['p50']:.2f} | {r['p99']:.2f} "
                  f"| {r['consume']:,.0f} | {r['consume_mb']:,.1f} |")
        m, p = results["mock"], results["petrel"]
        print(f"| {n:,} × {size} B | petrel / mock | {p['produce'] / m['produce']:.2f} | | | | {p['consume'] / m['consume']:.2f} | |")


if __name__ == "__main__":
    main()
