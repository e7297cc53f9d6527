"""kazoo (the Python ZooKeeper client) against a ZooKeeper-compatible node: the znode API with
versions, watches, ephemeral and sequential nodes, ACLs, multi, recipes and reconnection.

Runs against Petrel by default; ZK_TARGET=apache runs the same tests against Apache ZooKeeper
3.8, the reference the expectations were checked with."""
import random
import threading
import time
import uuid

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (BadVersionError, NoAuthError, NoChildrenForEphemeralsError, NodeExistsError,
                              NoNodeError, NotEmptyError, RolledBackError)
from kazoo.protocol.states import EventType, KazooState
from kazoo.security import make_digest_acl, make_digest_acl_credential, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, ACL, Id, Permissions

from tcp_proxy import Proxy


def client(hosts, timeout=10.0, **kwargs):
    zk = KazooClient(hosts=hosts, timeout=timeout, **kwargs)
    zk.start(timeout=15)
    return zk


@pytest.fixture
def clients(zk_ensemble):
    """Clients of one test all connect to the same member first (and fail over in the same
    order). ZooKeeper orders reads per server only: a client on another member may read just
    before a write that another client saw acknowledged has reached that member (for Apache
    ZooKeeper as for Petrel: Benchmarks/zookeeper/zk_probe.py stale counts them; `sync` is the
    cure, and test_zookeeper_ensemble.py covers reads across members with it). Which member
    goes first varies from test to test."""
    made = []
    members = zk_ensemble.hosts.split(",")
    first = random.randrange(len(members))
    ordered = ",".join(members[first:] + members[:first])

    def make(hosts=None, **kwargs):
        if hosts is None:
            hosts, kwargs = ordered, {"randomize_hosts": False, **kwargs}
        zk = client(hosts, **kwargs)
        made.append(zk)
        return zk

    yield make
    for zk in made:
        try:
            zk.stop()
            zk.close()
        except Exception:
            pass


@pytest.fixture
def zk(clients):
    return clients()


@pytest.fixture
def base(zk):
    path = f"/test-{uuid.uuid4().hex[:12]}"
    zk.create(path)
    return path


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


# --- basic operations -------------------------------------------------------------------------

def test_create_get_set_delete_with_versions(zk, base):
    path = zk.create(f"{base}/a", b"one")
    assert path == f"{base}/a"
    data, stat = zk.get(path)
    assert data == b"one" and stat.version == 0 and stat.dataLength == 3 and stat.ephemeralOwner == 0
    assert stat.czxid == stat.mzxid and stat.czxid > 0
    stat2 = zk.set(path, b"two", version=0)
    assert stat2.version == 1 and stat2.mzxid > stat.mzxid and stat2.czxid == stat.czxid
    with pytest.raises(BadVersionError):
        zk.set(path, b"three", version=0)
    assert zk.get(path)[0] == b"two"
    with pytest.raises(BadVersionError):
        zk.delete(path, version=0)
    zk.delete(path, version=1)
    assert zk.exists(path) is None
    with pytest.raises(NoNodeError):
        zk.get(path)
    with pytest.raises(NoNodeError):
        zk.delete(path)


def test_create_errors(zk, base):
    zk.create(f"{base}/p", b"")
    with pytest.raises(NodeExistsError):
        zk.create(f"{base}/p", b"")
    with pytest.raises(NoNodeError):
        zk.create(f"{base}/missing/child", b"")
    zk.create(f"{base}/p/c", b"")
    with pytest.raises(NotEmptyError):
        zk.delete(f"{base}/p")
    zk.create(f"{base}/e", b"", ephemeral=True)
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(f"{base}/e/c", b"")
    zk.delete(f"{base}/p", recursive=True)
    assert zk.exists(f"{base}/p") is None


def test_exists_and_children_with_stat(zk, base):
    assert zk.exists(f"{base}/none") is None
    for name in ("c", "a", "b"):
        zk.create(f"{base}/{name}", name.encode())
    stat = zk.exists(base)
    assert stat.numChildren == 3
    children, parent_stat = zk.get_children(base, include_data=True)
    assert sorted(children) == ["a", "b", "c"]
    assert parent_stat.numChildren == 3 and parent_stat.cversion == 3
    assert parent_stat.pzxid == zk.exists(f"{base}/b").czxid
    zk.delete(f"{base}/a")
    _, after = zk.get_children(base, include_data=True)
    assert after.cversion == 4 and after.numChildren == 2
    assert sorted(zk.get_children("/")).count(base[1:]) == 1
    assert "zookeeper" in zk.get_children("/")


def test_large_value_round_trips(zk, base):
    value = bytes(range(256)) * 2000  # 512 000 bytes, under jute.maxbuffer
    zk.create(f"{base}/big", value)
    assert zk.get(f"{base}/big")[0] == value


# --- watches -----------------------------------------------------------------------------------

def test_data_watch_fires_once(clients, base):
    watcher, writer = clients(), clients()
    writer.create(f"{base}/w", b"0")
    events = []
    watcher.get(f"{base}/w", watch=events.append)
    writer.set(f"{base}/w", b"1")
    wait_for(lambda: len(events) == 1, what="data watch")
    assert events[0].type == EventType.CHANGED and events[0].path == f"{base}/w"
    writer.set(f"{base}/w", b"2")  # one-shot: no second event
    writer.delete(f"{base}/w")
    time.sleep(0.5)
    assert len(events) == 1


def test_child_watch_and_delete_events(clients, base):
    watcher, writer = clients(), clients()
    writer.create(f"{base}/parent", b"")
    child_events, data_events = [], []
    watcher.get_children(f"{base}/parent", watch=child_events.append)
    writer.create(f"{base}/parent/kid", b"")
    wait_for(lambda: len(child_events) == 1, what="child watch")
    assert child_events[0].type == EventType.CHILD and child_events[0].path == f"{base}/parent"
    # setData of a child is not a child event; deleting the watched node fires its watches.
    watcher.get_children(f"{base}/parent", watch=child_events.append)
    watcher.get(f"{base}/parent", watch=data_events.append)
    writer.set(f"{base}/parent/kid", b"x")
    time.sleep(0.3)
    assert len(child_events) == 1
    writer.delete(f"{base}/parent", recursive=True)
    wait_for(lambda: len(data_events) == 1 and len(child_events) >= 2, what="delete events")
    assert data_events[0].type == EventType.DELETED
    assert [e.type for e in child_events[1:]] in ([EventType.CHILD], [EventType.CHILD, EventType.DELETED],
                                                   [EventType.DELETED])


def test_exists_watch_on_missing_node_fires_created(clients, base):
    watcher, writer = clients(), clients()
    events = []
    assert watcher.exists(f"{base}/later", watch=events.append) is None
    writer.create(f"{base}/later", b"")
    wait_for(lambda: len(events) == 1, what="exists watch")
    assert events[0].type == EventType.CREATED


def test_get_on_missing_node_leaves_no_watch(clients, base):
    watcher, writer = clients(), clients()
    events = []
    with pytest.raises(NoNodeError):
        watcher.get(f"{base}/nothing", watch=events.append)
    writer.create(f"{base}/nothing", b"")
    time.sleep(0.5)
    assert events == []


def test_watch_events_arrive_in_commit_order(clients, base):
    watcher, writer = clients(), clients()
    events = []
    lock = threading.Lock()

    def record(event):
        with lock:
            events.append(event.path)
    paths = [f"{base}/n{i}" for i in range(20)]
    for path in paths:
        watcher.exists(path, watch=record)
    for path in paths:
        writer.create(path, b"")
    wait_for(lambda: len(events) == len(paths), what="20 created events")
    assert events == paths


def test_watch_fires_before_the_reply_that_sees_the_change(clients, base):
    """ZooKeeper's guarantee: a client sees the event before it sees the new data."""
    watcher, writer = clients(), clients()
    writer.create(f"{base}/v", b"old")
    seen_event = threading.Event()
    watcher.get(f"{base}/v", watch=lambda e: seen_event.set())
    writer.set(f"{base}/v", b"new")
    while watcher.get(f"{base}/v")[0] != b"new":
        pass
    # The notification frame came before the reply; kazoo runs callbacks on its own thread.
    assert seen_event.wait(2)


def test_datawatch_and_childrenwatch_recipes(clients, base):
    watcher, writer = clients(), clients()
    writer.create(f"{base}/dw", b"a")
    seen, kids = [], []
    watcher.DataWatch(f"{base}/dw", lambda data, stat: seen.append(data))
    watcher.ChildrenWatch(base, lambda children: kids.append(sorted(children)))
    wait_for(lambda: seen == [b"a"] and kids == [["dw"]], what="initial calls")
    writer.set(f"{base}/dw", b"b")
    writer.create(f"{base}/other", b"")
    wait_for(lambda: seen[-1] == b"b" and kids[-1] == ["dw", "other"], what="re-armed watches")


# --- ephemeral and sequential nodes -----------------------------------------------------------

def test_ephemeral_deleted_when_session_closes(clients, base):
    owner, observer = clients(), clients()
    owner.create(f"{base}/eph", b"", ephemeral=True)
    assert observer.exists(f"{base}/eph").ephemeralOwner == owner.client_id[0]
    events = []
    observer.exists(f"{base}/eph", watch=events.append)
    owner.stop()
    wait_for(lambda: events, what="deleted event")
    assert events[0].type == EventType.DELETED
    assert observer.exists(f"{base}/eph") is None


def test_ephemeral_deleted_when_session_expires(clients, zk_ensemble, base):
    proxy = Proxy(zk_ensemble.nodes[0].port)
    try:
        owner = clients(proxy.address, timeout=2.0)
        observer = clients()
        owner.create(f"{base}/eph", b"", ephemeral=True)
        states = []
        owner.add_listener(states.append)
        proxy.block()  # the client cannot reach the server; the server sees no close
        time.sleep(1.0)
        assert observer.exists(f"{base}/eph") is not None  # still within the session timeout
        wait_for(lambda: observer.exists(f"{base}/eph") is None, timeout=15, what="expiry")
        proxy.block(False)
        wait_for(lambda: KazooState.LOST in states, timeout=20, what="session LOST")
    finally:
        proxy.close()


def test_sequential_nodes(zk, base):
    first = zk.create(f"{base}/seq-", b"", sequence=True)
    second = zk.create(f"{base}/seq-", b"", sequence=True)
    assert first == f"{base}/seq-0000000000"
    assert second == f"{base}/seq-0000000001"
    zk.create(f"{base}/plain", b"")
    zk.delete(f"{base}/plain")
    assert zk.exists(base).cversion == 4
    # The counter follows the parent's cversion, but as Apache ZooKeeper 3.8 numbers it a
    # delete does not advance it (its prepared parent record keeps the old cversion).
    third = zk.create(f"{base}/seq-", b"", sequence=True, ephemeral=True)
    assert third == f"{base}/seq-0000000003"
    assert zk.exists(third).ephemeralOwner == zk.client_id[0]


# --- ACLs --------------------------------------------------------------------------------------

def test_digest_acl_and_noauth(clients, base):
    owner = clients(auth_data=[("digest", "alice:secret")])
    stranger = clients()
    acl = [make_digest_acl("alice", "secret", all=True), ACL(Permissions.READ, Id("world", "anyone"))]
    owner.create(f"{base}/guarded", b"v", acl=acl)
    assert stranger.get(f"{base}/guarded")[0] == b"v"  # world may read
    with pytest.raises(NoAuthError):
        stranger.set(f"{base}/guarded", b"w")
    with pytest.raises(NoAuthError):
        stranger.create(f"{base}/guarded/child", b"")
    owner.create(f"{base}/guarded/child", b"")
    with pytest.raises(NoAuthError):
        stranger.delete(f"{base}/guarded/child")  # delete needs DELETE on the parent
    owner.set(f"{base}/guarded", b"w")
    stranger.add_auth("digest", "alice:secret")
    stranger.set(f"{base}/guarded", b"x")
    acls, stat = stranger.get_acls(f"{base}/guarded")
    assert stat.aversion == 0
    assert {(a.perms, a.id.scheme, a.id.id) for a in acls} == {
        (Permissions.ALL, "digest", make_digest_acl_credential("alice", "secret")),
        (Permissions.READ, "world", "anyone")}


def test_read_acl_blocks_unauthenticated_reads(clients, base):
    owner = clients(auth_data=[("digest", "bob:pw")])
    stranger = clients()
    owner.create(f"{base}/secret", b"s", acl=[make_digest_acl("bob", "pw", all=True)])
    with pytest.raises(NoAuthError):
        stranger.get(f"{base}/secret")
    with pytest.raises(NoAuthError):
        stranger.get_children(f"{base}/secret")
    assert stranger.exists(f"{base}/secret") is not None  # exists needs no permission
    assert owner.get(f"{base}/secret")[0] == b"s"


def test_set_acls_with_version(zk, base):
    zk.create(f"{base}/acl", b"")
    with pytest.raises(BadVersionError):
        zk.set_acls(f"{base}/acl", READ_ACL_UNSAFE, version=3)
    stat = zk.set_acls(f"{base}/acl", READ_ACL_UNSAFE, version=0)
    assert stat.aversion == 1
    # Without ADMIN the permission check comes first, whatever the version.
    with pytest.raises(NoAuthError):
        zk.set_acls(f"{base}/acl", OPEN_ACL_UNSAFE, version=0)
    with pytest.raises(NoAuthError):
        zk.set(f"{base}/acl", b"x")


def test_creator_acl_needs_authentication(clients, base):
    anonymous = clients()
    from kazoo.exceptions import InvalidACLError
    from kazoo.security import CREATOR_ALL_ACL
    with pytest.raises(InvalidACLError):
        anonymous.create(f"{base}/mine", b"", acl=CREATOR_ALL_ACL)
    owner = clients(auth_data=[("digest", "carol:pw")])
    owner.create(f"{base}/mine", b"", acl=CREATOR_ALL_ACL)
    acls, _ = owner.get_acls(f"{base}/mine")
    assert [(a.id.scheme, a.id.id) for a in acls] == [("digest", make_digest_acl_credential("carol", "pw"))]


# --- multi -------------------------------------------------------------------------------------

def test_transaction_commits_all(zk, base):
    zk.create(f"{base}/x", b"0")
    tx = zk.transaction()
    tx.create(f"{base}/y", b"1")
    tx.set_data(f"{base}/x", b"2", version=0)
    tx.check(f"{base}/x", 1)
    tx.delete(f"{base}/y")
    results = tx.commit()
    assert results[0] == f"{base}/y" and results[1].version == 1 and results[2] is True and results[3] is True
    assert zk.get(f"{base}/x")[0] == b"2" and zk.exists(f"{base}/y") is None
    # One zxid for the whole multi.
    assert zk.exists(f"{base}/x").mzxid == zk.exists(base).pzxid


def test_transaction_with_failing_check_rolls_back(zk, base):
    zk.create(f"{base}/x", b"0")
    tx = zk.transaction()
    tx.create(f"{base}/new", b"")
    tx.set_data(f"{base}/x", b"changed")
    tx.check(f"{base}/x", 7)
    tx.create(f"{base}/after", b"")
    results = tx.commit()
    assert isinstance(results[0], RolledBackError) and isinstance(results[1], RolledBackError)
    assert isinstance(results[2], BadVersionError)
    assert results[3].__class__.__name__ == "RuntimeInconsistency"
    assert zk.exists(f"{base}/new") is None and zk.exists(f"{base}/after") is None
    assert zk.get(f"{base}/x") == (b"0", zk.exists(f"{base}/x")) and zk.exists(f"{base}/x").version == 0


# --- recipes -----------------------------------------------------------------------------------

def test_lock_is_exclusive(clients, base):
    a, b = clients(), clients()
    lock_a, lock_b = a.Lock(f"{base}/lock", "a"), b.Lock(f"{base}/lock", "b")
    assert lock_a.acquire(timeout=5)
    assert not lock_b.acquire(blocking=False)
    assert lock_b.contenders() == ["a"]
    got = threading.Event()

    def take():
        if lock_b.acquire(timeout=10):
            got.set()
    t = threading.Thread(target=take)
    t.start()
    time.sleep(0.3)
    assert not got.is_set()
    lock_a.release()
    t.join(timeout=15)
    assert got.is_set()
    lock_b.release()


def test_lock_released_when_holder_session_ends(clients, base):
    a, b = clients(), clients()
    assert a.Lock(f"{base}/lock").acquire(timeout=5)
    lock_b = b.Lock(f"{base}/lock")
    assert not lock_b.acquire(blocking=False)
    a.stop()
    assert lock_b.acquire(timeout=10)
    lock_b.release()


def test_election_moves_on_when_leader_leaves(clients, base):
    a, b = clients(), clients()
    leaders = []
    stop_a = threading.Event()

    def lead_a():
        leaders.append("a")
        stop_a.wait(20)

    def lead_b():
        leaders.append("b")
    election_a = a.Election(f"{base}/election", "a")
    election_b = b.Election(f"{base}/election", "b")
    ta = threading.Thread(target=election_a.run, args=(lead_a,))
    ta.start()
    wait_for(lambda: leaders == ["a"], what="a leads")
    tb = threading.Thread(target=election_b.run, args=(lead_b,))
    tb.start()
    time.sleep(0.3)
    assert leaders == ["a"]
    assert election_b.contenders() == ["a", "b"]
    stop_a.set()
    ta.join(10)
    tb.join(10)
    assert leaders == ["a", "b"]


def test_party_membership(clients, base):
    a, b = clients(), clients()
    party_a, party_b = a.Party(f"{base}/party", "a"), b.Party(f"{base}/party", "b")
    party_a.join()
    party_b.join()
    assert sorted(party_a) == ["a", "b"] and len(party_b) == 2
    party_a.leave()
    assert list(party_b) == ["b"]
    b.stop()
    assert list(party_a) == []


# --- sessions across connections -------------------------------------------------------------

def test_reconnect_keeps_session_and_ephemerals(clients, zk_ensemble, base):
    """The TCP connection is cut under the client; it reconnects with its session id and
    password, and the session (with its ephemeral node) is still there. kazoo itself drops
    plain watches on a disconnect (it tells them with a NONE event); its DataWatch recipe
    re-reads and so sees a change made while it was away. Re-registering watches with
    setWatches is covered at the wire level in test_zookeeper_wire.py."""
    proxy = Proxy(zk_ensemble.nodes[0].port)
    try:
        flaky = clients(proxy.address, timeout=10.0)
        other = clients()
        session = flaky.client_id
        states = []
        flaky.add_listener(states.append)
        flaky.create(f"{base}/eph", b"", ephemeral=True)
        flaky.create(f"{base}/watched", b"0")
        seen = []
        flaky.DataWatch(f"{base}/watched", lambda data, stat: seen.append(data))
        wait_for(lambda: seen == [b"0"], what="first DataWatch call")
        proxy.block()
        wait_for(lambda: KazooState.SUSPENDED in states, what="suspended")
        other.set(f"{base}/watched", b"1")
        proxy.block(False)
        wait_for(lambda: flaky.connected and states[-1] == KazooState.CONNECTED, what="reconnected")
        assert flaky.client_id == session
        assert KazooState.LOST not in states
        assert other.exists(f"{base}/eph").ephemeralOwner == session[0]
        wait_for(lambda: seen[-1] == b"1", what="change made while away")
        other.set(f"{base}/watched", b"2")
        wait_for(lambda: seen[-1] == b"2", what="change after reconnect")
        flaky.create(f"{base}/after", b"")  # the session still writes
    finally:
        proxy.close()


def test_many_clients_at_once(clients, base):
    many = [clients() for _ in range(10)]
    for i, c in enumerate(many):
        c.create(f"{base}/c{i}", str(i).encode(), ephemeral=True)
    assert len(many[0].get_children(base)) == 10
    for c in many[:5]:
        c.stop()
    wait_for(lambda: len(many[9].get_children(base)) == 5, what="five ephemerals gone")


# --- more of the API ---------------------------------------------------------------------------

def test_create_with_stat_sync_and_reconfig(zk, base):
    path, stat = zk.create(f"{base}/withstat", b"abc", include_data=True)  # create2
    assert path == f"{base}/withstat" and stat.dataLength == 3 and stat.version == 0
    assert zk.sync(base) == base
    from kazoo.exceptions import ReconfigDisabledError
    # Reconfiguration is off (reconfigEnabled=false, ZooKeeper's default).
    with pytest.raises(ReconfigDisabledError):
        zk.reconfig(joining=None, leaving="1", new_members=None)


def test_async_requests_pipeline_in_order(zk, base):
    creates = [zk.create_async(f"{base}/p{i:03}", str(i).encode()) for i in range(300)]
    paths = [r.get(timeout=30) for r in creates]
    assert paths == [f"{base}/p{i:03}" for i in range(300)]
    reads = [zk.get_async(f"{base}/p{i:03}") for i in range(300)]
    assert [r.get(timeout=30)[0] for r in reads] == [str(i).encode() for i in range(300)]
    czxids = [zk.exists(p).czxid for p in paths]
    assert czxids == sorted(czxids) and len(set(czxids)) == 300


def test_counter_recipe_under_contention(clients, base):
    """kazoo's Counter is a compare-and-set loop on the node's version: concurrent increments
    from several sessions must all land."""
    workers = [clients() for _ in range(5)]
    workers[0].Counter(f"{base}/counter")  # creates the node

    def bump(zk):
        counter = zk.Counter(f"{base}/counter")
        for _ in range(20):
            counter += 1
    threads = [threading.Thread(target=bump, args=(zk,)) for zk in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert workers[0].Counter(f"{base}/counter").value == 100


def test_pings_keep_an_idle_session_alive(clients, base):
    zk = clients(timeout=2.0)
    states = []
    zk.add_listener(states.append)
    zk.create(f"{base}/alive", b"", ephemeral=True)
    time.sleep(5)  # well past the session timeout, with nothing but pings
    assert zk.exists(f"{base}/alive") is not None and states == []
