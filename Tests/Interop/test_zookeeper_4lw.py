"""Four-letter words on the client port (raw sockets), in ZooKeeper 3.8's formats, and the
`4lw.commands.whitelist` filter. ZK_TARGET=apache checks the same against Apache ZooKeeper."""
import re

import pytest
from kazoo.client import KazooClient

from zookeeper_nodes import four_letter_word


@pytest.fixture
def port(zk_ensemble):
    return zk_ensemble.nodes[0].port


@pytest.fixture
def mode(zk_ensemble):
    """What `srvr` says of the first node: standalone alone, leader or follower in an ensemble."""
    return "standalone" if len(zk_ensemble.nodes) == 1 else zk_ensemble.nodes[0].mode()


@pytest.fixture
def kazoo(zk_ensemble):
    # On the node the words are sent to, so its counters and connection lists include kazoo.
    zk = KazooClient(hosts=zk_ensemble.nodes[0].address, timeout=10)
    zk.start(timeout=15)
    yield zk
    zk.stop()
    zk.close()


def test_ruok_and_isro(port):
    assert four_letter_word(port, "ruok") == "imok"
    assert four_letter_word(port, "isro") == "rw"


def test_srvr_layout(port, kazoo, mode):
    kazoo.ensure_path("/fourletter")
    text = four_letter_word(port, "srvr")
    lines = text.split("\n")
    assert re.fullmatch(r"Zookeeper version: 3\.8\.\d+-.*, built on .*", lines[0])
    assert re.fullmatch(r"Latency min/avg/max: \d+/\d+\.\d+/\d+", lines[1])
    assert re.fullmatch(r"Received: \d+", lines[2]) and re.fullmatch(r"Sent: \d+", lines[3])
    assert re.fullmatch(r"Connections: [1-9]\d*", lines[4])
    assert lines[5] == "Outstanding: 0"
    assert re.fullmatch(r"Zxid: 0x[0-9a-f]+", lines[6]) and int(lines[6][8:], 16) > 0
    assert lines[7] == f"Mode: {mode}"
    assert re.fullmatch(r"Node count: \d+", lines[8]) and int(lines[8][12:]) >= 6
    assert lines[9:] == [""]


def test_stat_lists_clients(port, kazoo, mode):
    text = four_letter_word(port, "stat")
    head, rest = text.split("\nClients:\n", 1)
    assert head.startswith("Zookeeper version: ")
    clients, tail = rest.split("\n\n", 1)
    for line in clients.split("\n"):
        assert re.fullmatch(r" /127\.0\.0\.1:\d+\[[01]\]\(queued=0,recved=\d+,sent=\d+\)", line), line
    assert len(clients.split("\n")) >= 2  # kazoo's connection and this one
    assert tail.startswith("Latency min/avg/max: ") and f"Mode: {mode}\n" in tail


def test_cons_shows_the_session(port, kazoo):
    session = kazoo.client_id[0]
    text = four_letter_word(port, "cons")
    assert text.endswith("\n\n")
    lines = [line for line in text.split("\n") if f"sid=0x{session:x}," in line]
    assert len(lines) == 1
    assert re.fullmatch(r" /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,lop=\w+,est=\d+,to=10000,"
                        r"lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)",
                        lines[0]), lines[0]


def test_mntr_key_values(port, kazoo, mode):
    kazoo.create("/mntr-eph", b"", ephemeral=True)
    pairs = dict(line.split("\t", 1) for line in four_letter_word(port, "mntr").strip("\n").split("\n"))
    assert pairs["zk_server_state"] == mode
    assert pairs["zk_version"].startswith("3.8.")
    assert int(pairs["zk_ephemerals_count"]) >= 1
    assert int(pairs["zk_znode_count"]) >= 6
    assert int(pairs["zk_num_alive_connections"]) >= 2
    assert int(pairs["zk_global_sessions"]) >= 1
    for key in ("zk_avg_latency", "zk_min_latency", "zk_max_latency", "zk_packets_sent", "zk_packets_received",
                "zk_outstanding_requests", "zk_watch_count", "zk_approximate_data_size", "zk_uptime"):
        assert re.fullmatch(r"\d+(\.\d+)?", pairs[key]), key
    kazoo.delete("/mntr-eph")


def test_conf(port, zk_ensemble):
    node = zk_ensemble.nodes[0]
    # An ensemble adds a `membership: ` line and `server.N=...` lines; the keys below are in both.
    lines = four_letter_word(port, "conf").strip("\n").split("\n")
    pairs = dict(line.split("=", 1) for line in lines if "=" in line)
    assert pairs["clientPort"] == str(port)
    assert pairs["dataDir"] == f"{node.data_dir}/version-2"
    assert pairs["dataLogDir"] == f"{node.data_dir}/version-2"
    assert (pairs["tickTime"], pairs["minSessionTimeout"], pairs["maxSessionTimeout"]) == ("500", "1000", "10000")
    assert pairs["maxClientCnxns"] == "0"
    assert pairs["serverId"] == ("0" if len(zk_ensemble.nodes) == 1 else str(node.id))
    assert int(pairs["dataDirSize"]) > 0


def test_envi(port):
    text = four_letter_word(port, "envi")
    assert text.startswith("Environment:\n")
    pairs = dict(line.split("=", 1) for line in text.strip("\n").split("\n")[1:])
    assert re.match(r"3\.8\.\d+", pairs["zookeeper.version"])
    assert pairs["os.name"] == "Linux" and pairs["host.name"]


def test_kazoo_reads_the_server_version(kazoo):
    assert kazoo.server_version()[:2] == (3, 8)


def test_watch_summaries(port, kazoo):
    kazoo.ensure_path("/watched-4lw")
    kazoo.get("/watched-4lw", watch=lambda event: None)
    session = kazoo.client_id[0]
    match = re.fullmatch(r"(\d+) connections watching (\d+) paths\nTotal watches:(\d+)\n", four_letter_word(port, "wchs"))
    assert match and int(match[1]) >= 1 and int(match[2]) >= 1 and int(match[3]) >= 1
    assert f"0x{session:x}\n\t/watched-4lw\n" in four_letter_word(port, "wchc")
    assert f"/watched-4lw\n\t0x{session:x}\n" in four_letter_word(port, "wchp")


def test_dirs(port):
    match = re.fullmatch(r"datadir_size: (\d+)\nlogdir_size: (\d+)\n", four_letter_word(port, "dirs"))
    assert match and int(match[1]) > 0


def test_unknown_word_closes_without_answer(port):
    assert four_letter_word(port, "abcd") == ""


def test_default_whitelist_is_srvr_only(zk_factory):
    port = zk_factory(config={"4lw.commands.whitelist": None}).nodes[0].port
    assert "Mode: standalone" in four_letter_word(port, "srvr")
    for word in ("ruok", "stat", "mntr", "conf", "cons", "envi", "wchs"):
        assert four_letter_word(port, word) == f"{word} is not executed because it is not in the whitelist.\n"


def test_whitelist_list(zk_factory):
    port = zk_factory(config={"4lw.commands.whitelist": "ruok, mntr"}).nodes[0].port
    assert four_letter_word(port, "ruok") == "imok"
    assert "zk_server_state\tstandalone" in four_letter_word(port, "mntr")
    assert four_letter_word(port, "stat") == "stat is not executed because it is not in the whitelist.\n"
    # ZooKeeper allows srvr whatever the list says.
    assert "Mode: standalone" in four_letter_word(port, "srvr")


def test_watch_counts_match_zookeeper(zk_factory):
    """wchs, wchc and wchp report data watches (getData, exists) only; mntr counts child
    watches too, as ZooKeeper keeps the two in separate tables."""
    ensemble = zk_factory()
    port = ensemble.nodes[0].port
    zk = KazooClient(hosts=ensemble.hosts, timeout=10)
    zk.start(timeout=15)
    try:
        zk.create("/a", b"")
        zk.get("/a", watch=lambda e: None)
        zk.get_children("/", watch=lambda e: None)
        zk.exists("/missing", watch=lambda e: None)
        assert four_letter_word(port, "wchs") == "1 connections watching 2 paths\nTotal watches:2\n"
        session = zk.client_id[0]
        assert four_letter_word(port, "wchc") == f"0x{session:x}\n\t/a\n\t/missing\n\n"
        assert four_letter_word(port, "wchp") == f"/a\n\t0x{session:x}\n/missing\n\t0x{session:x}\n\n"
        pairs = dict(line.split("\t", 1) for line in four_letter_word(port, "mntr").strip("\n").split("\n"))
        assert pairs["zk_watch_count"] == "3"
        # The asking connection has sent one packet: its word.
        stat = four_letter_word(port, "stat")
        assert re.search(r" /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)\n", stat)
    finally:
        zk.stop()
        zk.close()
