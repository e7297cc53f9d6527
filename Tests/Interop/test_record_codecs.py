"""Record batches and codecs against a real client's implementation (kafka-python 3.0.12).

Both directions, for every codec:
- batches built by kafka-python's own builders are decoded by `petrel dump-log --json`;
- batches built by `petrel dev encode-batch` are decoded (and CRC-checked) by kafka-python.
Plus legacy magic 0/1 message sets (plain and compressed) built by kafka-python.

kafka-python's codecs need the python modules: lz4, python-snappy (cramjam), zstandard, and
xxhash for lz4 in magic 0. A codec whose module is missing is skipped, with the reason shown.

Run: python3 -m pytest Tests/Interop/test_record_codecs.py   (after `swift build`)
The petrel binary is $PETREL_BIN, default .build/debug/petrel under the repository root.
"""

import base64
import json
import os
import pathlib
import struct
import subprocess

import pytest

import kafka.codec as kcodec
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords, MemoryRecordsBuilder

REPO = pathlib.Path(__file__).resolve().parents[2]
PETREL = os.environ.get("PETREL_BIN", str(REPO / ".build" / "debug" / "petrel"))

CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CODECS = list(CODEC_IDS)


def codec_available(codec):
    return {
        "none": True,
        "gzip": kcodec.has_gzip(),
        "snappy": kcodec.has_snappy(),
        "lz4": kcodec.has_lz4(),
        "zstd": kcodec.has_zstd(),
    }[codec]


def require_codec(codec):
    if not codec_available(codec):
        pytest.skip(f"kafka-python has no {codec} module installed")


@pytest.fixture(scope="module", autouse=True)
def petrel_binary():
    if not os.access(PETREL, os.X_OK):
        pytest.fail(f"petrel binary not found at {PETREL}: run `swift build` or set PETREL_BIN")


def b64(data):
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def dump(path):
    """Runs `petrel dump-log --json --print-data-log` and returns its JSON lines."""
    out = subprocess.run(
        [PETREL, "dump-log", "--files", str(path), "--print-data-log", "--json"],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def sample_records(batch_index, count):
    """Compressible values, null keys, tombstones, headers with null values, odd timestamps."""
    records = []
    for i in range(count):
        key = None if i % 5 == 0 else f"key-{batch_index}-{i % 7}".encode()
        value = None if i % 11 == 3 else (
            json.dumps({"id": i, "batch": batch_index, "text": "petrel " * (i % 9 + 3)}).encode())
        headers = []
        if i % 3 == 0:
            headers = [("trace", f"t{i}".encode()), ("empty", None)]
        timestamp = 1_700_000_000_000 + batch_index * 10_000 + (i * 37) % 1000
        records.append({"key": key, "value": value, "headers": headers, "timestamp": timestamp})
    return records


def kafka_python_batch(codec, records, base_offset, producer=None):
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=CODEC_IDS[codec], is_transactional=False,
        producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=10 * 1024 * 1024)
    if producer:
        builder.set_producer_state(*producer, False)
    for offset, r in enumerate(records):
        builder.append(offset, timestamp=r["timestamp"], key=r["key"], value=r["value"], headers=r["headers"])
    buf = builder.build()
    # The broker assigns offsets by rewriting baseOffset, which the CRC does not cover.
    struct.pack_into(">q", buf, 0, base_offset)
    return bytes(buf)


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_batches_decode_in_petrel(codec, tmp_path):
    require_codec(codec)
    specs = [(0, 40, None), (40, 1, None), (41, 300, (4242, 3, 17))]
    blob = b""
    expected = []
    for index, (base, count, producer) in enumerate(specs):
        records = sample_records(index, count)
        batch = kafka_python_batch(codec, records, base, producer)
        parsed = DefaultRecordBatch(bytearray(batch))
        if count > 1:
            # kafka-python falls back to no compression when it does not pay; these records compress.
            assert parsed.compression_type == CODEC_IDS[codec]
        expected.append((base, records, parsed.crc, parsed.compression_type, producer))
        blob += batch
    path = tmp_path / "00000000000000000000.log"
    path.write_bytes(blob)

    lines = dump(path)
    assert [line["type"] for line in lines] == ["batch"] * len(specs)
    for line, (base, records, crc, ctype, producer) in zip(lines, expected):
        assert line["magic"] == 2
        assert line["isvalid"] is True, line.get("invalidReason")
        assert line["crc"] == crc
        assert line["compresscodec"] == CODECS[ctype]
        assert line["baseOffset"] == base
        assert line["lastOffset"] == base + len(records) - 1
        assert line["count"] == len(records)
        assert line["maxTimestamp"] == max(r["timestamp"] for r in records)
        if producer:
            assert (line["producerId"], line["producerEpoch"], line["baseSequence"]) == producer
        assert "recordsError" not in line
        got = line["records"]
        assert [r["offset"] for r in got] == list(range(base, base + len(records)))
        assert [r["timestamp"] for r in got] == [r["timestamp"] for r in records]
        assert [r["key"] for r in got] == [b64(r["key"]) for r in records]
        assert [r["value"] for r in got] == [b64(r["value"]) for r in records]
        assert [[(h["key"], h["value"]) for h in r["headers"]] for r in got] == \
            [[(k, b64(v)) for k, v in r["headers"]] for r in records]


def petrel_encode(codec, records, path, base_offset=0, append=False, producer=None):
    payload = [
        {"key": b64(r["key"]), "value": b64(r["value"]), "timestamp": r["timestamp"],
         "headers": [{"key": k, "value": b64(v)} for k, v in r["headers"]]}
        for r in records
    ]
    args = [PETREL, "dev", "encode-batch", "--codec", codec, "--output", str(path),
            "--base-offset", str(base_offset)]
    if append:
        args.append("--append")
    if producer:
        args += ["--producer-id", str(producer[0]), "--producer-epoch", str(producer[1]),
                 "--base-sequence", str(producer[2])]
    out = subprocess.run(args, input=json.dumps(payload), check=True, capture_output=True,
                         text=True, timeout=120).stdout
    return json.loads(out)


@pytest.mark.parametrize("codec", CODECS)
def test_petrel_batches_decode_in_kafka_python(codec, tmp_path):
    require_codec(codec)
    path = tmp_path / "petrel.log"
    specs = [(0, 40, None), (40, 1, None), (41, 300, (77, 2, 5))]
    all_records = []
    for index, (base, count, producer) in enumerate(specs):
        records = sample_records(index, count)
        summary = petrel_encode(codec, records, path, base_offset=base, append=index > 0, producer=producer)
        assert summary["records"] == count
        assert summary["compresscodec"] == codec
        all_records.append((base, records, producer))

    memory = MemoryRecords(path.read_bytes())
    batches = list(memory)
    assert len(batches) == len(specs)
    for batch, (base, records, producer) in zip(batches, all_records):
        assert batch.magic == 2
        assert batch.validate_crc()
        assert batch.compression_type == CODEC_IDS[codec]
        assert batch.base_offset == base
        assert batch.last_offset_delta == len(records) - 1
        assert batch.max_timestamp == max(r["timestamp"] for r in records)
        if producer:
            assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == producer
        got = list(batch)
        assert [r.offset for r in got] == list(range(base, base + len(records)))
        assert [r.timestamp for r in got] == [r["timestamp"] for r in records]
        assert [r.key for r in got] == [r["key"] for r in records]
        assert [r.value for r in got] == [r["value"] for r in records]
        assert [list(r.headers) for r in got] == [list(r["headers"]) for r in records]
    assert memory.valid_bytes() == path.stat().st_size


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_through_both(codec, tmp_path):
    """kafka-python builds, Petrel decodes and re-encodes, kafka-python decodes again."""
    require_codec(codec)
    records = sample_records(9, 120)
    source = tmp_path / "source.log"
    source.write_bytes(kafka_python_batch(codec, records, 1000))
    [line] = dump(source)
    again = [
        {"key": None if r["key"] is None else base64.b64decode(r["key"]),
         "value": None if r["value"] is None else base64.b64decode(r["value"]),
         "timestamp": r["timestamp"],
         "headers": [(h["key"], None if h["value"] is None else base64.b64decode(h["value"])) for h in r["headers"]]}
        for r in line["records"]
    ]
    target = tmp_path / "target.log"
    petrel_encode(codec, again, target, base_offset=1000)
    [batch] = list(MemoryRecords(target.read_bytes()))
    assert batch.validate_crc()
    assert [(r.offset, r.timestamp, r.key, r.value, list(r.headers)) for r in batch] == \
        [(1000 + i, r["timestamp"], r["key"], r["value"], list(r["headers"])) for i, r in enumerate(records)]


def test_trailing_partial_batch_is_reported(tmp_path):
    first = kafka_python_batch("none", sample_records(0, 5), 0)
    second = kafka_python_batch("none", sample_records(1, 5), 5)
    path = tmp_path / "cut.log"
    path.write_bytes(first + second[: len(second) // 2])
    lines = dump(path)
    assert [line["type"] for line in lines] == ["batch", "partial"]
    assert lines[1]["position"] == len(first)
    assert lines[1]["bytes"] == len(second) // 2


@pytest.mark.parametrize("magic", [0, 1])
@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4"])
def test_kafka_python_legacy_message_sets_decode_in_petrel(magic, codec, tmp_path):
    require_codec(codec)
    if codec == "lz4" and magic == 0 and kcodec.xxhash is None:
        pytest.skip("kafka-python needs the xxhash module for lz4 in magic 0")
    builder = MemoryRecordsBuilder(magic=magic, compression_type=CODEC_IDS[codec], batch_size=1 << 20)
    records = [r for r in sample_records(3, 30)]
    for r in records:
        builder.append(timestamp=r["timestamp"], key=r["key"], value=r["value"])
    builder.close()
    path = tmp_path / "legacy.log"
    path.write_bytes(bytes(builder.buffer()))

    lines = dump(path)
    assert all(line["type"] == "batch" and line["magic"] == magic for line in lines)
    assert all(line["isvalid"] for line in lines), [line.get("invalidReason") for line in lines]
    got = [r for line in lines for r in line["records"]]
    assert [r["offset"] for r in got] == list(range(len(records)))
    expected_ts = [r["timestamp"] for r in records] if magic == 1 else [-1] * len(records)
    assert [r["timestamp"] for r in got] == expected_ts
    assert [r["key"] for r in got] == [b64(r["key"]) for r in records]
    assert [r["value"] for r in got] == [b64(r["value"]) for r in records]
    if codec != "none":
        assert len(lines) == 1 and lines[0]["compresscodec"] == codec
