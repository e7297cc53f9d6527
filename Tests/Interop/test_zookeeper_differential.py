"""Petrel and Apache ZooKeeper 3.8 side by side: the same seeded random sequence of kazoo
operations against both, every outcome compared (results, errors, data, stats, zxids, and the
watch events each session hears, in order). Skipped
with ZK_TARGET=apache (it starts both anyway)."""
import random
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.security import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE

from zookeeper_nodes import Ensemble, target

pytestmark = pytest.mark.skipif(target() != "petrel", reason="starts both servers itself")


def normalise(value, session):
    """Comparable form of a kazoo result: stats with the session id and times neutralised."""
    if hasattr(value, "czxid"):  # ZnodeStat
        fields = value._asdict()
        fields.pop("ctime"), fields.pop("mtime")
        owner = fields.pop("ephemeralOwner")
        fields["ephemeral"] = owner == session if owner else False
        return ("stat", tuple(sorted(fields.items())))
    if isinstance(value, (list, tuple)):
        return tuple(normalise(v, session) for v in value)
    if isinstance(value, KazooException):
        return ("error", type(value).__name__)
    return value


def script(seed, steps):
    rng = random.Random(seed)
    paths = ["/d", "/d/a", "/d/b", "/d/a/x", "/d/a/y", "/e", "/d/s-"]
    for _ in range(steps):
        path = rng.choice(paths)
        kind = rng.choice(["create", "create", "set", "delete", "get", "exists", "children", "multi", "acl", "renew"])
        who = rng.randrange(2)  # which of the two sessions acts
        if kind == "renew":  # the second session closes (its ephemerals go) and a new one opens
            yield ("renew", None, who)
            continue
        if kind == "acl":
            yield ("acl", path, who, rng.choice([-1, 0, 1]), rng.random() < 0.5)
            continue
        if kind == "create":
            yield ("create", path, who, rng.choice([b"", b"v", b"x" * 50]), rng.random() < 0.3,
                   path.endswith("-") or rng.random() < 0.2)
        elif kind in ("set", "delete"):
            yield (kind, path, who, rng.choice([-1, -1, 0, 1, 2]))
        elif kind == "multi":
            yield ("multi", path, who, rng.choice([-1, 0, 1]), rng.choice(paths))
        else:
            yield (kind, path, who)


def run(zk, step, watch):
    kind, path = step[0], step[1]
    try:
        if kind == "create":
            return zk.create(path, step[3], ephemeral=step[4], sequence=step[5], include_data=True)
        if kind == "set":
            return zk.set(path, b"s", version=step[3])
        if kind == "delete":
            return zk.delete(path, version=step[3])
        if kind == "get":
            return zk.get(path, watch=watch)
        if kind == "exists":
            return zk.exists(path, watch=watch)
        if kind == "children":
            children, stat = zk.get_children(path, watch=watch, include_data=True)
            return sorted(children), stat
        if kind == "acl":
            acl = READ_ACL_UNSAFE if step[4] else OPEN_ACL_UNSAFE
            return zk.set_acls(path, acl, version=step[3]), zk.get_acls(path)[0]
        tx = zk.transaction()
        tx.check(path, step[3])
        tx.create(step[4] + "m", b"m")
        tx.set_data(path, b"t")
        return tx.commit()
    except KazooException as error:
        return error


def connect(ensemble):
    zk = KazooClient(hosts=ensemble.hosts, timeout=10)
    zk.start(timeout=20)
    return zk


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_same_outcomes_as_apache_zookeeper(tmp_path, seed):
    petrel = Ensemble(tmp_path / "petrel", kind="petrel").start()
    apache = Ensemble(tmp_path / "apache", kind="apache").start()
    clients = {}
    # Per server, per session slot: the watch events it heard, in order (kazoo's NONE events
    # about its own connection left out).
    events = {"petrel": ([], []), "apache": ([], [])}

    def watcher(name, slot, generation):
        def record(event):
            if event.type != "NONE":
                events[name][slot].append((generation, event.type, event.path))
        return record
    try:
        for name, ensemble in (("petrel", petrel), ("apache", apache)):
            clients[name] = [connect(ensemble), connect(ensemble)]
        generation = 0
        for number, step in enumerate(script(seed, 300)):
            outcomes = []
            if step[0] == "renew":
                generation += 1
            for name, ensemble in (("petrel", petrel), ("apache", apache)):
                pair = clients[name]
                if step[0] == "renew":
                    pair[1].stop()
                    pair[1].close()
                    pair[1] = connect(ensemble)
                    outcomes.append(None)
                    continue
                zk = pair[step[2]]
                watch = watcher(name, step[2], generation if step[2] == 1 else 0)
                outcomes.append(normalise(run(zk, step, watch), zk.client_id[0]))
            assert outcomes[0] == outcomes[1], f"step {number}: {step}"
        for pair in clients.values():
            for zk in pair:
                zk.sync("/")
        time.sleep(0.5)
        for slot in (0, 1):
            assert events["petrel"][slot] == events["apache"][slot], f"session {slot}"
        assert sum(len(e) for e in events["petrel"]) > 10  # the script does set watches that fire
    finally:
        for pair in clients.values():
            for zk in pair:
                zk.stop()
                zk.close()
        petrel.stop()
        apache.stop()
