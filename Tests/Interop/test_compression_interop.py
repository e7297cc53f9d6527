"""Record batches compressed by real clients decode in Petrel, and batches Petrel compresses
decode in real clients, for every codec Kafka has."""
import asyncio
import json
import subprocess

import pytest

CODECS = ["gzip", "snappy", "lz4", "zstd"]
PAYLOAD = "abcdefgh" * 24  # compressible, so every client really compresses


def produced(probe, codec):
    """Every record the probe received, after checking the client really used `codec` (a client
    may send a batch too small to gain from compression uncompressed)."""
    batches = probe.events("produce")
    assert any(b["codec"] == codec for b in batches), [b["codec"] for b in batches]
    return [r for b in batches for r in b["records"]]


@pytest.mark.parametrize("codec", CODECS)
def test_kcat_compressed_batches_decode_in_petrel(probe_factory, kcat, tmp_path, codec):
    probe = probe_factory({"orders": 1})
    data = tmp_path / "in.txt"
    data.write_text("".join(f"key{i}:{codec}-{PAYLOAD}-{i}\n" for i in range(40)))
    out = subprocess.run([kcat, "-b", probe.address, "-P", "-t", "orders", "-p", "0", "-K:", "-z", codec,
                          "-l", str(data)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    records = produced(probe, codec)
    assert [r["key"] for r in records] == [f"key{i}" for i in range(40)]
    assert [r["value"] for r in records] == [f"{codec}-{PAYLOAD}-{i}" for i in range(40)]


@pytest.mark.parametrize("codec", CODECS)
def test_confluent_kafka_compressed_batches_decode_in_petrel(probe_factory, codec):
    ck = pytest.importorskip("confluent_kafka")
    probe = probe_factory({"orders": 1})
    p = ck.Producer({"bootstrap.servers": probe.address, "compression.type": codec, "linger.ms": 20})
    for i in range(40):
        p.produce("orders", key=f"k{i}", value=f"{PAYLOAD}-{i}".encode() if i % 7 else None, partition=0,
                  headers=[("trace", f"t{i}".encode()), ("empty", None)], timestamp=1_700_000_000_000 + i)
    assert p.flush(15) == 0
    records = produced(probe, codec)
    assert len(records) == 40
    for i, r in enumerate(records):
        assert r["key"] == f"k{i}"
        assert r["value"] == (f"{PAYLOAD}-{i}" if i % 7 else None)
        assert r["headers"] == [["trace", f"t{i}"], ["empty", None]]
        assert r["timestamp"] == 1_700_000_000_000 + i


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_compressed_batches_decode_in_petrel(probe_factory, codec):
    kafka = pytest.importorskip("kafka")
    probe = probe_factory({"orders": 1})
    p = kafka.KafkaProducer(bootstrap_servers=probe.address, compression_type=codec, linger_ms=20,
                            enable_idempotence=False, acks=1)
    for i in range(40):
        p.send("orders", key=f"k{i}".encode(), value=f"{PAYLOAD}-{i}".encode(), partition=0,
               headers=[("h", b"v")])
    p.flush(15)
    p.close(5)
    records = produced(probe, codec)
    assert [r["value"] for r in records] == [f"{PAYLOAD}-{i}" for i in range(40)]
    assert all(r["headers"] == [["h", "v"]] for r in records)


@pytest.mark.parametrize("codec", CODECS)
def test_aiokafka_compressed_batches_decode_in_petrel(probe_factory, codec):
    aiokafka = pytest.importorskip("aiokafka")
    probe = probe_factory({"orders": 1})

    async def run():
        p = aiokafka.AIOKafkaProducer(bootstrap_servers=probe.address, compression_type=codec, linger_ms=20)
        await p.start()
        try:
            batch = p.create_batch()
            for i in range(40):
                batch.append(key=f"k{i}".encode(), value=f"{PAYLOAD}-{i}".encode(), timestamp=None)
            await (await p.send_batch(batch, "orders", partition=0))
        finally:
            await p.stop()

    asyncio.run(asyncio.wait_for(run(), 30))
    records = produced(probe, codec)
    assert [r["value"] for r in records] == [f"{PAYLOAD}-{i}" for i in range(40)]


def produce_plain(probe, kcat, tmp_path, n=30):
    data = tmp_path / "plain.txt"
    data.write_text("".join(f"key{i}:{PAYLOAD}-{i}\n" for i in range(n)))
    out = subprocess.run([kcat, "-b", probe.address, "-P", "-t", "orders", "-p", "0", "-K:", "-l", str(data)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("codec", CODECS)
def test_petrel_compressed_batches_decode_in_kcat(probe_factory, kcat, tmp_path, codec):
    probe = probe_factory({"orders": 1}, fetch_codec=codec)
    produce_plain(probe, kcat, tmp_path)
    out = subprocess.run([kcat, "-b", probe.address, "-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e",
                          "-f", "%k=%s@%o\n"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"key{i}={PAYLOAD}-{i}@{i}" for i in range(30)]


@pytest.mark.parametrize("codec", CODECS)
def test_petrel_compressed_batches_decode_in_confluent_kafka(probe_factory, kcat, tmp_path, codec):
    ck = pytest.importorskip("confluent_kafka")
    probe = probe_factory({"orders": 1}, fetch_codec=codec)
    produce_plain(probe, kcat, tmp_path)
    c = ck.Consumer({"bootstrap.servers": probe.address, "group.id": "unused", "enable.auto.commit": False,
                     "fetch.wait.max.ms": 50})
    c.assign([ck.TopicPartition("orders", 0, ck.OFFSET_BEGINNING)])
    got = []
    for _ in range(100):
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append((m.key().decode(), m.value().decode(), m.offset()))
        if len(got) == 30:
            break
    c.close()
    assert got == [(f"key{i}", f"{PAYLOAD}-{i}", i) for i in range(30)]


@pytest.mark.parametrize("codec", CODECS)
def test_petrel_compressed_batches_decode_in_kafka_python(probe_factory, kcat, tmp_path, codec):
    kafka = pytest.importorskip("kafka")
    probe = probe_factory({"orders": 1}, fetch_codec=codec)
    produce_plain(probe, kcat, tmp_path)
    c = kafka.KafkaConsumer(bootstrap_servers=probe.address, group_id=None, enable_auto_commit=False,
                            auto_offset_reset="earliest", fetch_max_wait_ms=50, consumer_timeout_ms=8000)
    c.assign([kafka.TopicPartition("orders", 0)])
    c.seek_to_beginning()
    got = []
    for m in c:
        got.append((m.key.decode(), m.value.decode(), m.offset))
        if len(got) == 30:
            break
    c.close()
    assert got == [(f"key{i}", f"{PAYLOAD}-{i}", i) for i in range(30)]
