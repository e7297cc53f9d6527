"""The two brokers the broker benchmarks compare: librdkafka's in-process mock cluster (from the
librdkafka that confluent-kafka ships) and a standalone Petrel broker on a free loopback port."""
import ctypes
import glob
import os
import socket
import subprocess
import tempfile
import time

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic


def start_mock(topics):
    """topics: [(name, partitions)]. Returns (handle to keep alive, bootstrap address)."""
    libs = glob.glob(os.path.join(os.path.dirname(ck.__file__), "..", "confluent_kafka.libs", "librdkafka*.so*"))
    lib = ctypes.CDLL(libs[0])
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
    lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_mock_topic_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
    errstr = ctypes.create_string_buffer(512)
    rk = lib.rd_kafka_new(0, lib.rd_kafka_conf_new(), errstr, 512)
    mock = lib.rd_kafka_mock_cluster_new(rk, 1)
    for name, partitions in topics:
        lib.rd_kafka_mock_topic_create(mock, name.encode(), partitions, 1)
    return (lib, rk, mock), lib.rd_kafka_mock_cluster_bootstraps(mock).decode()


def start_petrel(binary, topics, prefix="petrel-bench-"):
    """Starts `binary broker` with its logs in a new temporary directory and creates `topics`
    ([(name, partitions)]). Returns ((process, directory), bootstrap address)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix=prefix)
    config = os.path.join(workdir, "server.properties")
    with open(config, "w") as f:
        f.write(f"broker.id=0\nlisteners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={workdir}/logs\n")
    proc = subprocess.Popen([binary, "broker", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    address = f"127.0.0.1:{port}"
    admin = AdminClient({"bootstrap.servers": address})
    futures = admin.create_topics([NewTopic(name, partitions, 1) for name, partitions in topics])
    for future in futures.values():
        future.result(10)
    return (proc, workdir), address
