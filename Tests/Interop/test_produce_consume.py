"""Producing and consuming through a real broker with every client and codec: keys, headers,
timestamps and null values survive; partitions, offsets, time lookups, size limits, topic
auto-creation, restarts and an idempotent producer whose connections are cut all behave as
Kafka's clients expect."""
import asyncio
import subprocess
import time

import pytest

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
BASE_TS = 1_700_000_000_000


def expected(n, tag):
    out = []
    for i in range(n):
        value = None if i % 9 == 4 else f"{tag}-value-{i}-" + "x" * (i % 50)
        out.append((f"key-{i}", value, [("seq", str(i)), ("tag", tag)], BASE_TS + i))
    return out


def create(broker, name, partitions=3, config=None):
    ck = pytest.importorskip("confluent_kafka")
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": broker.address})
    admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])[name].result(10)


def consume_confluent(broker, topic, n, timeout=30):
    ck = pytest.importorskip("confluent_kafka")
    c = ck.Consumer({"bootstrap.servers": broker.address, "group.id": f"g-{time.monotonic_ns()}",
                     "enable.auto.commit": False, "fetch.wait.max.ms": 100})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in parts])
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        got.append(m)
    c.close()
    return got


def as_tuples(messages):
    out = []
    for m in messages:
        key = m.key().decode() if m.key() is not None else None
        value = m.value().decode() if m.value() is not None else None
        headers = [(k, v.decode() if v is not None else None) for k, v in (m.headers() or [])]
        out.append((key, value, headers, m.timestamp()[1]))
    return out


@pytest.mark.parametrize("codec", CODECS)
def test_confluent_kafka_round_trip(broker, codec):
    ck = pytest.importorskip("confluent_kafka")
    topic = f"rt-confluent-{codec}"
    create(broker, topic)
    p = ck.Producer({"bootstrap.servers": broker.address, "compression.type": codec, "linger.ms": 5,
                     "enable.idempotence": True, "acks": "all"})
    want = expected(60, codec)
    for key, value, headers, ts in want:
        p.produce(topic, key=key, value=value, headers=headers, timestamp=ts)
    assert p.flush(20) == 0
    messages = consume_confluent(broker, topic, len(want))
    got = as_tuples(messages)
    assert sorted(got, key=lambda t: int(t[0].split("-")[1])) == want
    # Keys hash across the partitions; offsets in each partition are dense from 0.
    partitions = {m.partition() for m in messages}
    assert len(partitions) == 3
    for part in partitions:
        assert sorted(m.offset() for m in messages if m.partition() == part) == list(range(sum(1 for m in messages if m.partition() == part)))


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_round_trip(broker, codec):
    kafka = pytest.importorskip("kafka")
    topic = f"rt-kafka-python-{codec}"
    create(broker, topic)
    p = kafka.KafkaProducer(bootstrap_servers=broker.address,
                            compression_type=None if codec == "none" else codec, linger_ms=5)
    want = expected(60, codec)
    for key, value, headers, ts in want:
        p.send(topic, key=key.encode(), value=value.encode() if value is not None else None,
               headers=[(k, v.encode()) for k, v in headers], timestamp_ms=ts)
    p.flush(20)
    p.close(5)
    c = kafka.KafkaConsumer(topic, bootstrap_servers=broker.address, group_id=None, auto_offset_reset="earliest",
                            enable_auto_commit=False, consumer_timeout_ms=10000, fetch_max_wait_ms=100)
    got = []
    for m in c:
        got.append((m.key.decode(), m.value.decode() if m.value is not None else None,
                    [(k, v.decode()) for k, v in m.headers], m.timestamp))
        if len(got) == len(want):
            break
    c.close()
    assert sorted(got, key=lambda t: int(t[0].split("-")[1])) == want


@pytest.mark.parametrize("codec", CODECS)
def test_aiokafka_round_trip(broker, codec):
    aiokafka = pytest.importorskip("aiokafka")
    topic = f"rt-aiokafka-{codec}"
    create(broker, topic)
    want = expected(60, codec)

    async def run():
        p = aiokafka.AIOKafkaProducer(bootstrap_servers=broker.address,
                                      compression_type=None if codec == "none" else codec, linger_ms=5)
        await p.start()
        try:
            for key, value, headers, ts in want:
                await p.send(topic, key=key.encode(), value=value.encode() if value is not None else None,
                             headers=[(k, v.encode()) for k, v in headers], timestamp_ms=ts)
            await p.flush()
        finally:
            await p.stop()
        c = aiokafka.AIOKafkaConsumer(topic, bootstrap_servers=broker.address, auto_offset_reset="earliest",
                                      enable_auto_commit=False, fetch_max_wait_ms=100)
        await c.start()
        got = []
        try:
            while len(got) < len(want):
                batch = await asyncio.wait_for(c.getmany(timeout_ms=1000), 15)
                for msgs in batch.values():
                    for m in msgs:
                        got.append((m.key.decode(), m.value.decode() if m.value is not None else None,
                                    [(k, v.decode()) for k, v in m.headers], m.timestamp))
        finally:
            await c.stop()
        return got

    got = asyncio.run(asyncio.wait_for(run(), 60))
    assert sorted(got, key=lambda t: int(t[0].split("-")[1])) == want


@pytest.mark.parametrize("codec", CODECS)
def test_kcat_round_trip(broker, kcat, tmp_path, codec):
    topic = f"rt-kcat-{codec}"
    create(broker, topic, partitions=1)
    data = tmp_path / "in.txt"
    data.write_text("".join(f"key-{i}:{codec}-value-{i}\n" for i in range(40)))
    out = subprocess.run([kcat, "-b", broker.address, "-P", "-t", topic, "-K:", "-z", codec, "-H", "h=v", "-l", str(data)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([kcat, "-b", broker.address, "-C", "-t", topic, "-o", "beginning", "-e",
                          "-f", "%k=%s@%o %h\n"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"key-{i}={codec}-value-{i}@{i} h=v" for i in range(40)]


def test_cross_client_and_offsets_for_times(broker):
    ck = pytest.importorskip("confluent_kafka")
    kafka = pytest.importorskip("kafka")
    topic = "cross"
    create(broker, topic, partitions=1)
    p = ck.Producer({"bootstrap.servers": broker.address, "linger.ms": 0})
    for i in range(20):
        p.produce(topic, key=str(i), value=f"v{i}", partition=0, timestamp=BASE_TS + i * 1000)
        p.flush(5)
    c = kafka.KafkaConsumer(bootstrap_servers=broker.address, group_id=None, enable_auto_commit=False)
    tp = kafka.TopicPartition(topic, 0)
    found = c.offsets_for_times({tp: BASE_TS + 7500})
    assert found[tp].offset == 8 and found[tp].timestamp == BASE_TS + 8000
    assert c.offsets_for_times({tp: BASE_TS + 10**9})[tp] is None
    assert c.beginning_offsets([tp])[tp] == 0 and c.end_offsets([tp])[tp] == 20
    c.close()
    consumer = ck.Consumer({"bootstrap.servers": broker.address, "group.id": "x"})
    [hit] = consumer.offsets_for_times([ck.TopicPartition(topic, 0, BASE_TS + 3000)], timeout=10)
    assert hit.offset == 3
    low, high = consumer.get_watermark_offsets(ck.TopicPartition(topic, 0), timeout=10)
    assert (low, high) == (0, 20)
    consumer.close()


def test_message_size_limit(broker):
    ck = pytest.importorskip("confluent_kafka")
    create(broker, "small", partitions=1, config={"max.message.bytes": "2000"})
    errors = []
    p = ck.Producer({"bootstrap.servers": broker.address, "linger.ms": 0, "compression.type": "none",
                     "message.max.bytes": 100000})
    p.produce("small", value=b"x" * 5000, on_delivery=lambda err, msg: errors.append(err))
    p.flush(15)
    p.produce("small", value=b"y" * 100, on_delivery=lambda err, msg: errors.append(err))
    p.flush(15)
    assert errors[0] is not None and errors[0].code() == ck.KafkaError.MSG_SIZE_TOO_LARGE
    assert errors[1] is None


def test_topic_auto_creation(broker):
    ck = pytest.importorskip("confluent_kafka")
    p = ck.Producer({"bootstrap.servers": broker.address})
    p.produce("made.on.demand", value=b"hello")
    assert p.flush(15) == 0
    md = p.list_topics("made.on.demand", timeout=10)
    assert len(md.topics["made.on.demand"].partitions) == 3


def test_data_survives_a_restart(broker_factory):
    ck = pytest.importorskip("confluent_kafka")
    first = broker_factory()
    create(first, "durable", partitions=2)
    p = ck.Producer({"bootstrap.servers": first.address, "enable.idempotence": True})
    for i in range(100):
        p.produce("durable", key=str(i), value=f"before-{i}")
    assert p.flush(15) == 0
    assert first.stop() == 0
    second = broker_factory(port=first.port, log_dir=first.log_dir)
    p = ck.Producer({"bootstrap.servers": second.address, "enable.idempotence": True})
    for i in range(100, 150):
        p.produce("durable", key=str(i), value=f"after-{i}")
    assert p.flush(15) == 0
    got = consume_confluent(second, "durable", 150)
    values = sorted(m.value().decode() for m in got)
    assert values == sorted([f"before-{i}" for i in range(100)] + [f"after-{i}" for i in range(100, 150)])
    for partition in (0, 1):
        offsets = [m.offset() for m in got if m.partition() == partition]
        assert offsets == list(range(len(offsets)))


@pytest.mark.parametrize("client", ["confluent-kafka", "kafka-python"])
def test_idempotent_producer_survives_cut_connections(broker_factory, client):
    from conftest import free_port
    broker_port = free_port()
    from tcp_proxy import Proxy
    proxy = Proxy(broker_port)
    try:
        b = broker_factory(port=broker_port, overrides={"advertised.listeners": f"PLAINTEXT://127.0.0.1:{proxy.port}"})
        create(b, "exactly.once", partitions=1)
        n = 3000
        if client == "confluent-kafka":
            ck = pytest.importorskip("confluent_kafka")
            p = ck.Producer({"bootstrap.servers": f"127.0.0.1:{proxy.port}", "enable.idempotence": True,
                             "linger.ms": 2, "batch.num.messages": 50, "retry.backoff.ms": 50})
            for i in range(n):
                p.produce("exactly.once", value=str(i).encode())
                if i % 500 == 250:
                    p.poll(0)
                    proxy.drop_all()
                p.poll(0)
            assert p.flush(60) == 0
        else:
            kafka = pytest.importorskip("kafka")
            p = kafka.KafkaProducer(bootstrap_servers=f"127.0.0.1:{proxy.port}", enable_idempotence=True,
                                    linger_ms=2, batch_size=2000, retries=20, retry_backoff_ms=50)
            for i in range(n):
                p.send("exactly.once", value=str(i).encode())
                if i % 500 == 250:
                    proxy.drop_all()
            p.flush(60)
            p.close(10)
        ck = pytest.importorskip("confluent_kafka")
        c = ck.Consumer({"bootstrap.servers": f"127.0.0.1:{proxy.port}", "group.id": "verify", "enable.auto.commit": False})
        c.assign([ck.TopicPartition("exactly.once", 0, ck.OFFSET_BEGINNING)])
        got = []
        deadline = time.monotonic() + 60
        while len(got) < n and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got.append(int(m.value()))
        # Anything beyond n would be a duplicate: give it a moment to show up.
        extra = c.poll(1.0)
        c.close()
        assert extra is None or extra.error() is not None
        assert got == list(range(n))
    finally:
        proxy.close()


def test_create_time_bounds(broker):
    ck = pytest.importorskip("confluent_kafka")
    create(broker, "recent.only", partitions=1, config={"message.timestamp.before.max.ms": "3600000"})
    outcomes = []
    p = ck.Producer({"bootstrap.servers": broker.address, "linger.ms": 0})
    p.produce("recent.only", value=b"old", timestamp=BASE_TS, on_delivery=lambda e, m: outcomes.append(e))
    p.flush(10)
    p.produce("recent.only", value=b"now", on_delivery=lambda e, m: outcomes.append(e))
    p.flush(10)
    assert outcomes[0] is not None and outcomes[0].code() == ck.KafkaError.INVALID_TIMESTAMP
    assert outcomes[1] is None


def test_log_append_time(broker):
    ck = pytest.importorskip("confluent_kafka")
    create(broker, "stamped", partitions=1, config={"message.timestamp.type": "LogAppendTime"})
    p = ck.Producer({"bootstrap.servers": broker.address})
    before = int(time.time() * 1000)
    p.produce("stamped", value=b"v", timestamp=BASE_TS)
    assert p.flush(10) == 0
    [m] = consume_confluent(broker, "stamped", 1)
    kind, ts = m.timestamp()
    assert kind == ck.TIMESTAMP_LOG_APPEND_TIME and ts >= before - 1000


def test_kafka_python_incremental_fetch_sessions(broker):
    """kafka-python opens a fetch session (KIP-227) and then sends incremental fetches: data
    produced in waves keeps arriving, in order, through the session."""
    kafka = pytest.importorskip("kafka")
    ck = pytest.importorskip("confluent_kafka")
    create(broker, "waves", partitions=3)
    c = kafka.KafkaConsumer("waves", bootstrap_servers=broker.address, group_id=None, auto_offset_reset="earliest",
                            enable_auto_commit=False, fetch_max_wait_ms=100)
    p = ck.Producer({"bootstrap.servers": broker.address})
    seen = []
    for wave in range(4):
        for i in range(30):
            p.produce("waves", key=str(i), value=f"{wave}-{i}".encode())
        assert p.flush(10) == 0
        deadline = time.monotonic() + 15
        while len(seen) < 30 * (wave + 1) and time.monotonic() < deadline:
            for records in c.poll(timeout_ms=200).values():
                seen.extend(r.value.decode() for r in records)
        assert len(seen) == 30 * (wave + 1), f"wave {wave}: {len(seen)}"
    c.close()
    assert sorted(seen) == sorted(f"{w}-{i}" for w in range(4) for i in range(30))
