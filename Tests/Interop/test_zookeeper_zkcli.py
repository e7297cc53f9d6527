"""ZooKeeper's own Java command-line client (zkCli.sh from Debian's zookeeper package) against
the node: create, get, set, ls, stat, delete and their error messages, each a separate run of
the CLI (so a separate session), and data shared with kazoo."""
import os
import re
import shutil
import subprocess
import uuid

import pytest
from kazoo.client import KazooClient

ZKCLI = os.environ.get("ZKCLI", "/usr/share/zookeeper/bin/zkCli.sh")


@pytest.fixture(scope="module")
def zkcli(zk_ensemble):
    if not (os.path.exists(ZKCLI) or shutil.which(ZKCLI)):
        pytest.fail(f"{ZKCLI} not found (apt-get install zookeeper libslf4j-java; scripts/ensure-deps.sh test does it)")

    def run(*args):
        result = subprocess.run([ZKCLI, "-server", zk_ensemble.hosts, *args], capture_output=True, text=True, timeout=60)
        # The CLI's own chatter (logging setup, connection lines, the first watch event).
        noise = ("SLF4J", "Connecting to", "WatchedEvent", "WATCHER::")
        return [line for line in (result.stdout + result.stderr).splitlines() if line and not line.startswith(noise)]
    return run


@pytest.fixture(scope="module")
def zkcli_session(zk_ensemble):
    """Several commands in one CLI session (one ZooKeeper session), fed on standard input."""
    def run(*commands):
        script = "".join(f"{c}\n" for c in commands) + "quit\n"
        # The CLI prints results on stdout and "Created ..." on stderr: one stream keeps their order.
        result = subprocess.run([ZKCLI, "-server", zk_ensemble.hosts], input=script, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=60)
        noise = ("SLF4J", "Connecting to", "WatchedEvent", "WATCHER::", "Welcome to", "JLine")
        # Output may follow the prompt on its line: drop the prompts, keep what follows.
        lines = [re.sub(r"^(\[zk: [^\]]*\] ?)+", "", line) for line in result.stdout.splitlines()]
        return [line for line in lines if line.strip() and not line.startswith(noise)]
    return run


@pytest.fixture
def base(zkcli):
    path = f"/cli-{uuid.uuid4().hex[:10]}"
    assert zkcli("create", path, "") == [f"Created {path}"]
    return path


def stat_fields(lines):
    return dict(line.split(" = ", 1) for line in lines if " = " in line)


def test_create_get_set_ls_stat_delete(zkcli, base):
    assert zkcli("create", f"{base}/node", "hello") == [f"Created {base}/node"]
    assert zkcli("get", f"{base}/node") == ["hello"]
    lines = zkcli("get", "-s", f"{base}/node")
    assert lines[0] == "hello"
    fields = stat_fields(lines[1:])
    assert (fields["dataVersion"], fields["dataLength"], fields["numChildren"], fields["ephemeralOwner"]) == ("0", "5", "0", "0x0")
    assert re.fullmatch(r"0x[0-9a-f]+", fields["cZxid"]) and fields["cZxid"] == fields["mZxid"]
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}", fields["ctime"])
    assert zkcli("set", f"{base}/node", "world") == []
    assert zkcli("get", f"{base}/node") == ["world"]
    assert stat_fields(zkcli("stat", f"{base}/node"))["dataVersion"] == "1"
    assert zkcli("create", f"{base}/other", "x") == [f"Created {base}/other"]
    assert zkcli("ls", base) == ["[node, other]"]
    lines = zkcli("ls", "-s", base)
    assert lines[0] == "[node, other]" and stat_fields(lines[1:])["numChildren"] == "2"
    assert zkcli("delete", f"{base}/node") == []
    assert zkcli("ls", base) == ["[other]"]
    assert zkcli("getAcl", base) == ["'world,'anyone", ": cdrwa"]


def test_sequential_and_recursive(zkcli, base):
    assert zkcli("create", "-s", f"{base}/s-", "") == [f"Created {base}/s-0000000000"]
    assert zkcli("create", "-s", f"{base}/s-", "") == [f"Created {base}/s-0000000001"]
    zkcli("create", f"{base}/s-0000000000/deep", "")
    assert zkcli("ls", "-R", base) == [base, f"{base}/s-0000000000", f"{base}/s-0000000001", f"{base}/s-0000000000/deep"]
    assert zkcli("deleteall", base) == []
    assert zkcli("get", base) == [f"Node does not exist: {base}"]


def test_error_messages(zkcli, base):
    zkcli("create", f"{base}/n", "a")
    zkcli("create", f"{base}/n/c", "")
    assert zkcli("create", f"{base}/n", "again") == [f"Node already exists: {base}/n"]
    assert zkcli("get", f"{base}/missing") == [f"Node does not exist: {base}/missing"]
    assert zkcli("create", f"{base}/missing/child") == [f"Node does not exist: {base}/missing/child"]
    assert zkcli("delete", f"{base}/n") == [f"Node not empty: {base}/n"]
    assert zkcli("set", "-v", "7", f"{base}/n", "b") == [f"version No is not valid : {base}/n"]
    assert zkcli("get", f"{base}/n") == ["a"]


def test_data_is_shared_with_kazoo(zkcli, zk_ensemble, base):
    zk = KazooClient(hosts=zk_ensemble.hosts, timeout=10)
    zk.start(timeout=15)
    try:
        zk.create(f"{base}/from-kazoo", "grüße".encode())
        assert zkcli("get", f"{base}/from-kazoo") == ["grüße"]
        zkcli("create", f"{base}/from-cli", "cli")
        assert zk.get(f"{base}/from-cli")[0] == b"cli"
    finally:
        zk.stop()
        zk.close()


def test_one_session_with_auth_ephemerals_and_counts(zkcli_session, base):
    lines = zkcli_session(
        f"addauth digest u:p",
        f"create {base}/sec s auth::cdrwa",
        f"getAcl {base}/sec",
        f"create -e {base}/e1 x",
        f"getEphemerals {base}",
        f"getAllChildrenNumber {base}",
        "whoami",
        f"get {base}/sec")
    assert lines == [
        f"Created {base}/sec",
        "'digest,'u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=", ": cdrwa",
        f"Created {base}/e1",
        f"[{base}/e1]",
        "2",
        "Auth scheme: User", "ip: 127.0.0.1", "digest: u",
        "s"]


def test_acl_refuses_another_session(zkcli_session, zkcli, base):
    zkcli_session("addauth digest u:p", f"create {base}/mine m auth::cdrwa")
    assert zkcli("get", f"{base}/mine") == [f"Insufficient permission : {base}/mine"]
    assert zkcli_session("addauth digest u:p", f"get {base}/mine") == ["m"]
    assert zkcli_session("addauth digest u:wrong", f"get {base}/mine") == [f"Insufficient permission : {base}/mine"]
