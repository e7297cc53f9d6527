"""Bad input against a real broker: each case gets Kafka's answer or a closed connection, is
logged once, and the broker keeps serving everyone else."""
import socket
import struct
import time

import pytest

from conftest import recv_exactly


def connect(broker):
    s = socket.create_connection(("127.0.0.1", broker.port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def closed_by_peer(s, timeout=10):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def api_versions_v0(correlation=1):
    body = struct.pack(">hhi", 18, 0, correlation) + struct.pack(">h", 1) + b"t"
    return struct.pack(">i", len(body)) + body


def read_frame(s):
    size = struct.unpack(">i", recv_exactly(s, 4))[0]
    return recv_exactly(s, size)




def still_serving(broker):
    with connect(broker) as s:
        s.sendall(api_versions_v0(77))
        reply = read_frame(s)
        correlation, error = struct.unpack(">ih", reply[:6])
        return correlation == 77 and error == 0


@pytest.mark.parametrize("name,payload", [
    ("garbage", b"\x13\x37" * 40),
    ("frame of 2^31-1 bytes", struct.pack(">i", 2**31 - 1) + b"\x00" * 16),
    ("negative length", struct.pack(">i", -5) + b"\x00" * 16),
    ("unknown API key", struct.pack(">i", 10) + struct.pack(">hhih", 999, 0, 1, -1)),
    ("unsupported Metadata version", struct.pack(">i", 11) + struct.pack(">hhihb", 3, 99, 1, -1, 0)),
    ("truncated CreateTopics body", struct.pack(">i", 14) + struct.pack(">hhih", 19, 4, 1, -1) + b"\x00\x00\x00\x05"),
])
def test_bad_frames_close_only_that_connection(broker, name, payload):
    with connect(broker) as s:
        s.sendall(payload)
        assert closed_by_peer(s), name
    assert still_serving(broker)
    assert broker.alive()


def test_unsupported_api_versions_version_answers_v0_error(broker):
    with connect(broker) as s:
        body = struct.pack(">hhi", 18, 99, 5) + struct.pack(">h", -1) + b"\x00"
        s.sendall(struct.pack(">i", len(body)) + body)
        reply = read_frame(s)
    correlation, error, count = struct.unpack(">ihi", reply[:10])
    assert (correlation, error) == (5, 35)
    assert struct.unpack(">hhh", reply[10:16]) == (18, 0, 4)


def test_client_that_sends_nothing_is_closed_when_idle(broker_factory):
    b = broker_factory(overrides={"connections.max.idle.ms": "1500"})
    with connect(b) as s:
        start = time.monotonic()
        assert closed_by_peer(s, timeout=15)
        assert time.monotonic() - start >= 1.0
    assert still_serving(b)


def test_frame_sent_byte_by_byte_is_answered(broker):
    frame = api_versions_v0(31)
    with connect(broker) as s:
        for byte in frame:
            s.sendall(bytes([byte]))
            time.sleep(0.05)
        reply = read_frame(s)
    assert struct.unpack(">ih", reply[:6]) == (31, 0)


def test_two_thousand_idle_connections(broker):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 2200:
        pytest.skip(f"the open-file hard limit ({hard}) is below 2,200")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    sockets = []
    try:
        for _ in range(2000):
            sockets.append(connect(broker))
        assert still_serving(broker)
        # Every one of them still works.
        for i in (0, 999, 1999):
            sockets[i].sendall(api_versions_v0(i))
            assert struct.unpack(">i", read_frame(sockets[i])[:4])[0] == i
    finally:
        for s in sockets:
            s.close()
    assert still_serving(broker)


def produce_v3_frame(topic, batch, correlation=9):
    def string(s):
        return struct.pack(">h", len(s)) + s.encode()
    body = struct.pack(">hhi", 0, 3, correlation) + string("bad-input-test")
    body += struct.pack(">h", -1) + struct.pack(">hi", 1, 5000)  # no transactional id, acks=1, timeout
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1) + struct.pack(">i", 0)
    body += struct.pack(">i", len(batch)) + batch
    return struct.pack(">i", len(body)) + body


def test_produce_with_corrupt_crc_is_refused_and_nothing_is_written(broker):
    ck = pytest.importorskip("confluent_kafka")
    from kafka.record.default_records import DefaultRecordBatchBuilder
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": broker.address})
    admin.create_topics([NewTopic("guarded", 1, 1)])["guarded"].result(10)
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i in range(5):
        builder.append(offset=i, timestamp=1_700_000_000_000 + i, key=b"k", value=b"v" * 20, headers=[])
    good = bytes(builder.build())
    corrupt = bytearray(good)
    corrupt[-3] ^= 0xFF  # a record byte: covered by the CRC
    truncated = good[:-7]
    with connect(broker) as s:
        for frame_batch, expected in ((bytes(corrupt), 2), (truncated, 87)):
            s.sendall(produce_v3_frame("guarded", frame_batch))
            reply = read_frame(s)
            # v3 response: correlation, [topic: name, [partition: index, error, base offset, append time]], throttle
            (correlation,) = struct.unpack(">i", reply[:4])
            name_len = struct.unpack(">h", reply[8:10])[0]
            pos = 10 + name_len + 4
            index, error = struct.unpack(">ih", reply[pos:pos + 6])
            assert (correlation, index) == (9, 0)
            assert error in (2, 87), error  # CORRUPT_MESSAGE / INVALID_RECORD
            if expected == 2:
                assert error == 2
    consumer = ck.Consumer({"bootstrap.servers": broker.address, "group.id": "x"})
    assert consumer.get_watermark_offsets(ck.TopicPartition("guarded", 0), timeout=10) == (0, 0)
    # The same batch, intact, is accepted: the broker was refusing the damage, not the client.
    with connect(broker) as s:
        s.sendall(produce_v3_frame("guarded", good))
        read_frame(s)
    assert consumer.get_watermark_offsets(ck.TopicPartition("guarded", 0), timeout=10) == (0, 5)
    consumer.close()
