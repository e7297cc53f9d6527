"""Consumer groups with real clients: membership and rebalances (eager and cooperative),
session-timeout eviction of a killed member, committed offsets across a broker restart,
static membership, and the admin clients' view of groups and offsets.

Each client's consumers run in their own threads (aiokafka's in an event loop of its own) and
report what they own; the tests wait for the group to settle and check that every partition
has exactly one owner. Timeouts are short (6 s sessions, 300 ms heartbeats, 100 ms initial
rebalance delay) so the file runs in about a minute and a half; every wait has a deadline, and
an alarm fails any test that runs longer than TEST_LIMIT seconds.
"""
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

SESSION_MS = 6000
HEARTBEAT_MS = 300
TEST_LIMIT = 90
OVERRIDES = {"group.initial.rebalance.delay.ms": "100"}
PARTITIONS = {0, 1, 2}


@pytest.fixture(autouse=True)
def time_limit():
    def expired(signum, frame):
        raise TimeoutError(f"test ran longer than {TEST_LIMIT}s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_LIMIT)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def create_topic(broker, name, partitions=3):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": broker.address})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(10)


def produce(broker, topic, n, start=0, batches_of=None):
    """n messages m<start>…; with `batches_of`, flushed every that many (small batches, so a
    consumer can stop in the middle of a partition)."""
    import confluent_kafka as ck
    p = ck.Producer({"bootstrap.servers": broker.address, "linger.ms": 0 if batches_of else 5})
    for i in range(start, start + n):
        p.produce(topic, key=f"k{i}", value=f"m{i}")
        if batches_of and (i - start + 1) % batches_of == 0:
            p.flush(15)
    assert p.flush(15) == 0


class Member:
    """A consumer group member polled in its own thread. Subclasses wrap one client each."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.assigned = set()
        self.messages = []          # (partition, offset, value)
        self.events = []            # ("assign" | "revoke", partitions) from rebalance callbacks
        self.stop_flag = threading.Event()
        self.commit_request = threading.Event()
        self.commit_done = threading.Event()
        self.stop_after_commit = False
        self.limit = None           # stop taking messages after this many (commits still run)
        self.error = None
        self.thread = threading.Thread(target=self._thread, name=name, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _thread(self):
        try:
            self.run()
        except BaseException as e:  # surfaced by close()
            self.error = e

    def saturated(self):
        with self.lock:
            return self.limit is not None and len(self.messages) >= self.limit

    def owned(self):
        with self.lock:
            return set(self.assigned)

    def consumed(self):
        with self.lock:
            return list(self.messages)

    def commit(self, timeout=15):
        self.commit_done.clear()
        self.commit_request.set()
        assert self.commit_done.wait(timeout), f"{self.name}: commit did not finish"

    def commit_and_close(self, timeout=30):
        """Commits what was delivered, with no poll in between, then leaves the group."""
        self.stop_after_commit = True
        self.commit(timeout)
        self.close(timeout)

    def close(self, timeout=30):
        self.stop_flag.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"{self.name} did not close within {timeout}s"
        if self.error:
            raise self.error


class ConfluentMember(Member):
    def __init__(self, broker, group, topic, name="confluent", **extra):
        super().__init__(name)
        import confluent_kafka as ck
        conf = {"bootstrap.servers": broker.address, "group.id": group, "session.timeout.ms": SESSION_MS,
                "heartbeat.interval.ms": HEARTBEAT_MS, "auto.offset.reset": "earliest", "enable.auto.commit": False,
                "fetch.wait.max.ms": 100, "client.id": name}
        conf.update(extra)
        self.cooperative = conf.get("partition.assignment.strategy") == "cooperative-sticky"
        self.consumer = ck.Consumer(conf)
        self.consumer.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_revoke)

    def _on_assign(self, consumer, partitions):
        with self.lock:
            got = {p.partition for p in partitions}
            self.assigned = self.assigned | got if self.cooperative else got
            self.events.append(("assign", sorted(got)))

    def _on_revoke(self, consumer, partitions):
        with self.lock:
            gone = {p.partition for p in partitions}
            self.assigned = self.assigned - gone if self.cooperative else set()
            self.events.append(("revoke", sorted(gone)))

    def run(self):
        try:
            while not self.stop_flag.is_set():
                m = None if self.saturated() else self.consumer.poll(0.1)
                if m is None and self.saturated():
                    time.sleep(0.05)
                if m is not None and m.error() is None:
                    with self.lock:
                        self.messages.append((m.partition(), m.offset(), m.value().decode()))
                if self.commit_request.is_set():
                    self.commit_request.clear()
                    self.consumer.commit(asynchronous=False)
                    self.commit_done.set()
                    if self.stop_after_commit:
                        break
        finally:
            self.consumer.close()


class KafkaPythonMember(Member):
    def __init__(self, broker, group, topic, name="kafka-python", **extra):
        super().__init__(name)
        import kafka
        self.consumer = kafka.KafkaConsumer(
            topic, bootstrap_servers=broker.address, group_id=group, session_timeout_ms=SESSION_MS,
            heartbeat_interval_ms=HEARTBEAT_MS, auto_offset_reset="earliest", enable_auto_commit=False,
            fetch_max_wait_ms=100, client_id=name, **extra)

    def run(self):
        try:
            while not self.stop_flag.is_set():
                if self.saturated():
                    time.sleep(0.05)
                batches = {} if self.saturated() else self.consumer.poll(timeout_ms=100, max_records=5)
                with self.lock:
                    for records in batches.values():
                        self.messages.extend((r.partition, r.offset, r.value.decode()) for r in records)
                    self.assigned = {tp.partition for tp in self.consumer.assignment()}
                if self.commit_request.is_set():
                    self.commit_request.clear()
                    self.consumer.commit()
                    self.commit_done.set()
                    if self.stop_after_commit:
                        break
        finally:
            self.consumer.close()


class AioKafkaMember(Member):
    def __init__(self, broker, group, topic, name="aiokafka", **extra):
        super().__init__(name)
        self.args = dict(bootstrap_servers=broker.address, group_id=group, session_timeout_ms=SESSION_MS,
                         heartbeat_interval_ms=HEARTBEAT_MS, auto_offset_reset="earliest", enable_auto_commit=False,
                         fetch_max_wait_ms=100, client_id=name, **extra)
        self.topic = topic

    def run(self):
        asyncio.run(self._main())

    async def _main(self):
        import aiokafka
        consumer = aiokafka.AIOKafkaConsumer(self.topic, **self.args)
        await consumer.start()
        try:
            while not self.stop_flag.is_set():
                if self.saturated():
                    await asyncio.sleep(0.05)
                batches = {} if self.saturated() else await consumer.getmany(timeout_ms=100, max_records=5)
                with self.lock:
                    for records in batches.values():
                        self.messages.extend((r.partition, r.offset, r.value.decode()) for r in records)
                    self.assigned = {tp.partition for tp in consumer.assignment()}
                if self.commit_request.is_set():
                    self.commit_request.clear()
                    await consumer.commit()
                    self.commit_done.set()
                    if self.stop_after_commit:
                        break
        finally:
            await consumer.stop()


CLIENTS = {"confluent-kafka": ConfluentMember, "kafka-python": KafkaPythonMember, "aiokafka": AioKafkaMember}


def member_factory(client):
    if client == "mixed":
        kinds = [ConfluentMember, KafkaPythonMember, AioKafkaMember]
        counter = iter(range(100))
        return lambda *a, **kw: kinds[next(counter) % 3](*a, **kw)
    return CLIENTS[client]


def balanced(members, partitions=PARTITIONS):
    """Every partition owned by exactly one member (members may own nothing)."""
    owned = [m.owned() for m in members]
    flat = [p for s in owned for p in s]
    return sorted(flat) == sorted(partitions) and len(flat) == len(set(flat))


def describe(broker, group):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": broker.address})
    return admin.describe_consumer_groups([group])[group].result(10)


def settled(broker, group, members):
    """The group is Stable with exactly these members, and the partitions are split among them."""
    from confluent_kafka import ConsumerGroupState
    if not balanced(members):
        return False
    d = describe(broker, group)
    return d.state == ConsumerGroupState.STABLE and len(d.members) == len(members)


@pytest.mark.parametrize("client", ["confluent-kafka", "kafka-python", "aiokafka", "mixed"])
def test_three_members_then_a_fourth_joins_and_one_leaves(broker_factory, client):
    broker = broker_factory(overrides=OVERRIDES)
    topic, group = f"members-{client}", f"group-{client}"
    create_topic(broker, topic)
    make = member_factory(client)
    members = [make(broker, group, topic, name=f"{client}-{i}").start() for i in range(3)]
    try:
        wait_until(lambda: settled(broker, group, members) and all(len(m.owned()) == 1 for m in members), 30,
                   f"three {client} members with one partition each")
        fourth = make(broker, group, topic, name=f"{client}-3").start()
        members.append(fourth)
        wait_until(lambda: settled(broker, group, members), 30, "the group to rebalance over four members")
        leaving = members.pop(0)
        leaving.close()
        wait_until(lambda: settled(broker, group, members), 30, "the group to rebalance after a member left")
        assert all(len(m.owned()) == 1 for m in members)
        if client == "mixed":
            # The one assignor every client offers (aiokafka offers only roundrobin).
            import kafka
            admin = kafka.KafkaAdminClient(bootstrap_servers=broker.address)
            assert admin.describe_groups([group])[group]["protocol_data"] == "roundrobin"
            admin.close()
    finally:
        for m in members:
            m.close()


def test_killed_member_is_evicted_after_its_session_timeout(broker_factory, tmp_path):
    broker = broker_factory(overrides=OVERRIDES)
    topic, group = "evict", "evict-group"
    create_topic(broker, topic)
    script = tmp_path / "member.py"
    script.write_text(
        "import confluent_kafka as ck, sys\n"
        f"c = ck.Consumer({{'bootstrap.servers': '{broker.address}', 'group.id': '{group}', "
        f"'session.timeout.ms': {SESSION_MS}, 'heartbeat.interval.ms': {HEARTBEAT_MS}, 'client.id': 'doomed'}})\n"
        f"c.subscribe(['{topic}'], on_assign=lambda c, ps: print('assigned', len(ps), flush=True))\n"
        "while True:\n    c.poll(0.1)\n")
    doomed = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    survivor = ConfluentMember(broker, group, topic, name="survivor").start()
    try:
        wait_until(lambda: len(describe(broker, group).members) == 2 and 0 < len(survivor.owned()) < 3, 30,
                   "two members sharing the partitions")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        killed_at = time.monotonic()
        # No LeaveGroup was sent: the member stays until its session times out.
        time.sleep(SESSION_MS / 1000 * 0.6)
        assert len(describe(broker, group).members) == 2
        wait_until(lambda: survivor.owned() == PARTITIONS, 20, "the survivor to take over every partition")
        elapsed = time.monotonic() - killed_at
        assert SESSION_MS / 1000 * 0.8 <= elapsed <= SESSION_MS / 1000 + 8
        assert len(describe(broker, group).members) == 1
        assert "member session expired" in broker.log()
    finally:
        if doomed.poll() is None:
            doomed.kill()
        survivor.close()


@pytest.mark.parametrize("client", ["confluent-kafka", "kafka-python", "aiokafka"])
def test_commits_survive_a_restart_and_consumption_resumes_exactly(broker_factory, client):
    first = broker_factory(overrides=OVERRIDES)
    topic, group = f"resume-{client}", f"resume-{client}"
    create_topic(broker=first, name=topic)
    produce(first, topic, 90, batches_of=1)
    make = CLIENTS[client]
    before = make(first, group, topic, name=f"{client}-before")
    before.limit = 40
    before.start()
    wait_until(lambda: before.saturated(), 30, "the first member to consume")
    before.commit_and_close()
    delivered = before.consumed()
    next_offsets = {}
    for partition, offset, _ in delivered:
        next_offsets[partition] = max(next_offsets.get(partition, 0), offset + 1)

    assert first.stop() == 0
    second = broker_factory(port=first.port, log_dir=first.log_dir, overrides=OVERRIDES)
    produce(second, topic, 30, start=90)

    import confluent_kafka as ck
    probe = ck.Consumer({"bootstrap.servers": second.address, "group.id": group})
    committed = probe.committed([ck.TopicPartition(topic, p) for p in PARTITIONS], timeout=15)
    probe.close()
    found = {tp.partition: tp.offset for tp in committed if tp.offset >= 0}
    # Every partition consumed from is committed at the next offset; a client may also commit
    # its position 0 of a partition it got nothing from.
    assert all(found.get(p) == o for p, o in next_offsets.items())
    assert all(o == next_offsets.get(p, 0) for p, o in found.items())

    after = make(second, group, topic, name=f"{client}-after").start()
    try:
        wait_until(lambda: len(delivered) + len(after.consumed()) >= 120, 30, "the rest of the messages")
        time.sleep(0.5)  # anything delivered twice would show up now
        resumed = after.consumed()
        first_offsets = {}
        for partition, offset, _ in resumed:
            first_offsets.setdefault(partition, offset)
        # Each partition resumes exactly at its committed offset (or the start if none).
        for partition, offset in first_offsets.items():
            assert offset == next_offsets.get(partition, 0)
        values = [v for _, _, v in delivered] + [v for _, _, v in resumed]
        assert sorted(values) == sorted(f"m{i}" for i in range(120))
    finally:
        after.close()


def test_cooperative_sticky_group_rebalances_incrementally(broker_factory):
    broker = broker_factory(overrides=OVERRIDES)
    topic, group = "coop", "coop-group"
    create_topic(broker, topic)
    coop = {"partition.assignment.strategy": "cooperative-sticky"}
    members = [ConfluentMember(broker, group, topic, name=f"coop-{i}", **coop).start() for i in range(3)]
    try:
        wait_until(lambda: settled(broker, group, members) and all(len(m.owned()) == 1 for m in members), 30,
                   "three cooperative members with one partition each")
        kept = {m.name: m.owned() for m in members}
        marks = {m.name: len(m.events) for m in members}
        fourth = ConfluentMember(broker, group, topic, name="coop-3", **coop).start()
        members.append(fourth)
        wait_until(lambda: settled(broker, group, members), 30, "the group to take in a fourth member")
        time.sleep(1)
        # Sticky and incremental: nobody lost a partition to make room for a member that
        # gets none (three partitions, four members).
        for m in members[:3]:
            assert m.owned() == kept[m.name]
            assert not [e for e in m.events[marks[m.name]:] if e[0] == "revoke" and e[1]]
        assert fourth.owned() == set()
        leaving = members.pop(0)
        orphan = leaving.owned()
        marks = {m.name: len(m.events) for m in members}
        leaving.close()
        wait_until(lambda: settled(broker, group, members) and all(len(m.owned()) == 1 for m in members), 30,
                   "the orphaned partition to move")
        # Only the orphaned partition moved; the others stayed where they were.
        assert fourth.owned() == orphan
        for m in members[:2]:
            assert m.owned() == kept[m.name]
            assert not [e for e in m.events[marks[m.name]:] if e[0] == "revoke" and e[1]]
        # Several rebalances, one protocol.
        assert describe(broker, group).partition_assignor == "cooperative-sticky"
    finally:
        for m in members:
            m.close()


def test_static_member_restarts_within_its_session_without_a_rebalance(broker_factory):
    broker = broker_factory(overrides=OVERRIDES)
    topic, group = "static", "static-group"
    create_topic(broker, topic)
    a = ConfluentMember(broker, group, topic, name="static-a", **{"group.instance.id": "instance-a"}).start()
    b = ConfluentMember(broker, group, topic, name="static-b", **{"group.instance.id": "instance-b"}).start()
    restarted = None
    try:
        wait_until(lambda: settled(broker, group, [a, b]), 30, "two static members")
        owned_a, owned_b = a.owned(), b.owned()
        marks_b = len(b.events)
        rebalances = broker.log().count("preparing to rebalance group")
        old_id = next(m.member_id for m in describe(broker, group).members if m.group_instance_id == "instance-a")
        # A static member does not send LeaveGroup on close: it is just gone for a moment.
        a.close()
        restarted = ConfluentMember(broker, group, topic, name="static-a2", **{"group.instance.id": "instance-a"}).start()
        wait_until(lambda: restarted.owned() == owned_a, 20, "the restarted member to get its partitions back")
        d = describe(broker, group)
        ids = {m.group_instance_id: m.member_id for m in d.members}
        assert set(ids) == {"instance-a", "instance-b"} and ids["instance-a"] != old_id
        time.sleep(1)
        # No rebalance: the other member kept its partitions without a revoke, and the
        # coordinator never prepared one.
        assert b.owned() == owned_b
        assert not [e for e in b.events[marks_b:] if e[0] == "revoke"]
        assert broker.log().count("preparing to rebalance group") == rebalances
        assert "static member rejoins with a new member id" in broker.log()
    finally:
        for m in (b, restarted):
            if m is not None:
                m.close()


def test_admin_clients_list_and_describe_groups_and_offsets(broker_factory):
    broker = broker_factory(overrides=OVERRIDES)
    topic, group = "admin-view", "admin-group"
    create_topic(broker, topic)
    produce(broker, topic, 30)
    members = [ConfluentMember(broker, group, topic, name=f"viewer-{i}").start() for i in range(2)]
    try:
        wait_until(lambda: settled(broker, group, members), 30, "two members")
        wait_until(lambda: sum(len(m.consumed()) for m in members) >= 30, 30, "every message")
        for m in members:
            m.commit()
        import confluent_kafka as ck
        # A simple group: offsets committed without membership (generation -1).
        simple = ck.Consumer({"bootstrap.servers": broker.address, "group.id": "simple-group"})
        simple.commit(offsets=[ck.TopicPartition(topic, 1, 5)], asynchronous=False)
        simple.close()

        from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions
        from confluent_kafka.admin import AdminClient
        admin = AdminClient({"bootstrap.servers": broker.address})
        listed = admin.list_consumer_groups().result(10)
        states = {g.group_id: g.state for g in listed.valid}
        assert states[group] == ConsumerGroupState.STABLE and states["simple-group"] == ConsumerGroupState.EMPTY
        only_stable = admin.list_consumer_groups(states={ConsumerGroupState.STABLE}).result(10)
        assert {g.group_id for g in only_stable.valid} == {group}
        d = describe(broker, group)
        assert d.state == ConsumerGroupState.STABLE and d.partition_assignor == "range"
        assert sorted(m.client_id for m in d.members) == ["viewer-0", "viewer-1"]
        assert all(m.host == "/127.0.0.1" for m in d.members)
        assigned = sorted(tp.partition for m in d.members for tp in m.assignment.topic_partitions)
        assert assigned == sorted(PARTITIONS)
        offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(10)
        expected = {}
        for m in members:
            for partition, offset, _ in m.consumed():
                expected[partition] = max(expected.get(partition, 0), offset + 1)
        assert {tp.partition: tp.offset for tp in offsets.topic_partitions} == expected

        import kafka
        kadmin = kafka.KafkaAdminClient(bootstrap_servers=broker.address)
        groups = {g["group_id"]: g for g in kadmin.list_groups()}
        assert groups[group]["protocol_type"] == "consumer" and groups[group]["group_state"] == "Stable"
        assert groups["simple-group"]["group_state"] == "Empty"
        assert [g["group_id"] for g in kadmin.list_groups(states_filter=["Stable"])] == [group]
        kd = kadmin.describe_groups([group])[group]
        assert kd["group_state"] == "Stable" and kd["protocol_data"] == "range" and len(kd["members"]) == 2
        k_assigned = sorted(p for m in kd["members"] for a in m["member_assignment"]["assigned_partitions"] for p in a["partitions"])
        assert k_assigned == sorted(PARTITIONS)
        assert all(m["member_metadata"]["topics"] == [topic] for m in kd["members"])
        k_offsets = kadmin.list_group_offsets({group: None, "simple-group": None})
        assert {tp.partition: om.offset for tp, om in k_offsets[group].items()} == expected
        assert {tp.partition: om.offset for tp, om in k_offsets["simple-group"].items()} == {1: 5}
        # Offsets of an empty group can be deleted, then the group itself; a group with
        # members cannot.
        from kafka.errors import NoError
        deleted = kadmin.delete_group_offsets("simple-group", [kafka.TopicPartition(topic, 1)])
        assert deleted == {kafka.TopicPartition(topic, 1): NoError}
        assert dict(kadmin.delete_groups(["simple-group"]).items()) == {"simple-group": "OK"}
        assert "simple-group" not in {g["group_id"] for g in kadmin.list_groups()}
        refused = kadmin.delete_groups([group])
        assert "NonEmptyGroup" in str(refused[group])
        kadmin.close()
    finally:
        for m in members:
            m.close()
