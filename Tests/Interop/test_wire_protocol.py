"""The Kafka wire protocol against real clients.

- Golden bytes: the first requests of kcat (librdkafka 2.0.2), confluent-kafka (librdkafka
  2.16), kafka-python and aiokafka are captured with a bare listening socket, then decoded by
  Petrel's generated code; every field is checked and re-encoding gives the same bytes.
- Responses encoded by Petrel are accepted by real clients (kcat -L lists what we return).
- ApiVersions with a version we do not know gets Kafka's v0-body UNSUPPORTED_VERSION answer.
"""
import asyncio
import socket
import struct
import subprocess
import threading

import pytest

from conftest import decode_requests, recv_exactly


def capture_first_request(run_client, timeout=15.0):
    """Listens on a free port, runs the client against it, returns the first frame it sends."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(timeout)
    port = server.getsockname()[1]
    frames = []

    def accept():
        conn, _ = server.accept()
        conn.settimeout(timeout)
        with conn:
            size = struct.unpack(">i", recv_exactly(conn, 4))[0]
            frames.append(recv_exactly(conn, size))

    t = threading.Thread(target=accept)
    t.start()
    client = run_client(port)
    t.join(timeout + 5)
    server.close()
    if client is not None:
        client()
    assert frames, "the client sent no request"
    return frames[0]




def run_kcat(kcat):
    def run(port):
        p = subprocess.Popen([kcat, "-b", f"127.0.0.1:{port}", "-L", "-m", "3"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return lambda: (p.kill(), p.wait())
    return run


def test_kcat_first_request_golden(kcat):
    frame = capture_first_request(run_kcat(kcat))
    [decoded] = decode_requests([frame.hex()])
    assert decoded["api"] == "ApiVersions" and decoded["apiVersion"] == 3
    assert decoded["clientId"] == "rdkafka"
    assert 'clientSoftwareName: "librdkafka"' in decoded["body"]
    assert decoded["reencodesIdentically"] is True
    # The bytes librdkafka sends, field by field (header v2, compact strings, empty tag sections).
    assert frame[:8] == bytes.fromhex("0012 0003 00000001".replace(" ", ""))
    assert frame[8:17] == b"\x00\x07rdkafka"


def test_confluent_kafka_first_request_golden():
    confluent_kafka = pytest.importorskip("confluent_kafka")

    def run(port):
        p = confluent_kafka.Producer({"bootstrap.servers": f"127.0.0.1:{port}", "client.id": "golden-test"})
        p.poll(2)
        return lambda: p.flush(0)

    frame = capture_first_request(run)
    [decoded] = decode_requests([frame.hex()])
    assert decoded["api"] == "ApiVersions" and decoded["apiVersion"] == 3
    assert decoded["clientId"] == "golden-test"
    assert 'clientSoftwareName: "confluent-kafka-python"' in decoded["body"]
    assert decoded["reencodesIdentically"] is True


def test_kafka_python_first_request_golden():
    kafka = pytest.importorskip("kafka")

    def run(port):
        def connect():
            try:
                kafka.KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", client_id="kp-golden",
                                    request_timeout_ms=3000, max_block_ms=3000)
            except Exception:
                pass
        t = threading.Thread(target=connect, daemon=True)
        t.start()
        return None

    frame = capture_first_request(run)
    [decoded] = decode_requests([frame.hex()])
    assert decoded["api"] == "ApiVersions" and decoded["apiVersion"] == 4
    assert decoded["clientId"] == "kp-golden"
    assert 'clientSoftwareName: "kafka-python"' in decoded["body"]
    assert decoded["reencodesIdentically"] is True


def test_aiokafka_first_request_golden():
    aiokafka = pytest.importorskip("aiokafka")

    def run(port):
        async def connect():
            producer = aiokafka.AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", client_id="aio-golden",
                                                 request_timeout_ms=3000)
            try:
                await asyncio.wait_for(producer.start(), 5)
            except Exception:
                pass
        t = threading.Thread(target=lambda: asyncio.run(connect()), daemon=True)
        t.start()
        return None

    frame = capture_first_request(run)
    [decoded] = decode_requests([frame.hex()])
    assert decoded["api"] == "ApiVersions" and decoded["apiVersion"] == 0
    assert decoded["clientId"] == "aio-golden"
    assert decoded["body"] == "ApiVersionsRequest(clientSoftwareName: \"\", clientSoftwareVersion: \"\", unknownTaggedFields: [])"
    assert decoded["reencodesIdentically"] is True


def test_kcat_accepts_swift_encoded_metadata(probe_factory, kcat):
    probe = probe_factory({"orders": 3, "users.created": 1})
    out = subprocess.run([kcat, "-b", probe.address, "-L"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert f"broker 0 at {probe.address} (controller)" in out.stdout
    assert 'topic "orders" with 3 partitions:' in out.stdout
    assert 'topic "users.created" with 1 partitions:' in out.stdout
    for p in range(3):
        assert f"partition {p}, leader 0, replicas: 0, isrs: 0" in out.stdout
    apis = [e["api"] for e in probe.events("request")]
    assert apis[:2] == ["ApiVersions", "Metadata"]


def test_unknown_apiversions_version_gets_v0_error_body(probe_factory):
    probe = probe_factory({"t": 1})
    with socket.create_connection(("127.0.0.1", probe.port), timeout=10) as s:
        # ApiVersions v9 (does not exist): header v2 with client id "x" and an empty tag section.
        body = struct.pack(">hhi", 18, 9, 77) + struct.pack(">h", 1) + b"x" + b"\x00" + b"\x00"
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", recv_exactly(s, 4))[0]
        reply = recv_exactly(s, size)
    correlation, error, count = struct.unpack(">ihi", reply[:10])
    assert correlation == 77 and error == 35  # UNSUPPORTED_VERSION, header v0, v0 body
    entries = [struct.unpack(">hhh", reply[10 + 6 * i:16 + 6 * i]) for i in range(count)]
    assert (18, 0, 4) in entries
    assert len(reply) == 10 + 6 * count  # v0 body: no throttle time, no tagged fields
