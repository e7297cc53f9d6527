"""Starting `petrel zookeeper`: configuration from zoo.cfg or the official image's ZOO_*
variables, clear refusals (an ensemble, which is not implemented yet; a bad key), and the
keys it does not use named at start-up. Petrel only: Apache ZooKeeper reads no ZOO_* variables."""
import os
import pathlib
import subprocess

import pytest

from zookeeper_nodes import REPO, Ensemble, four_letter_word, free_port, target

pytestmark = pytest.mark.skipif(target() != "petrel", reason="petrel's command line")


def petrel():
    return os.environ.get("PETREL_BIN", str(REPO / ".build" / "debug" / "petrel"))


def test_ensemble_member_without_its_server_line_is_refused(tmp_path):
    ensemble = Ensemble(tmp_path, size=3)
    node = ensemble.nodes[0]
    (node.data_dir / "myid").write_text("7\n")
    with pytest.raises(RuntimeError) as refused:
        node.start()
    assert node.process.returncode != 0
    assert "server.7" in str(refused.value)


def test_configuration_from_environment_only(tmp_path):
    port = free_port()
    env = dict(os.environ, ZOO_DATA_DIR=str(tmp_path / "data"), ZOO_CLIENT_PORT=str(port),
               ZOO_4LW_COMMANDS_WHITELIST="ruok,conf", ZOO_TICK_TIME="250", ZOO_MY_ID="4")
    process = subprocess.Popen([petrel(), "zookeeper"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        import time
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if four_letter_word(port, "ruok", timeout=1) == "imok":
                    break
            except OSError:
                time.sleep(0.1)
        conf = dict(line.split("=", 1) for line in four_letter_word(port, "conf").strip().split("\n"))
        assert (conf["tickTime"], conf["minSessionTimeout"], conf["serverId"]) == ("250", "500", "4")
        assert conf["dataDir"] == f"{tmp_path}/data/version-2"
        assert (tmp_path / "data" / "myid").read_text().strip() == "4"  # written as the image does
        assert four_letter_word(port, "stat") == "stat is not executed because it is not in the whitelist.\n"
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output


def test_bad_value_names_its_key(tmp_path):
    config = tmp_path / "zoo.cfg"
    config.write_text(f"dataDir={tmp_path}\nclientPort={free_port()}\ntickTime=soon\n")
    result = subprocess.run([petrel(), "zookeeper", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "tickTime=soon" in result.stdout + result.stderr


def test_unused_keys_are_named_at_start(tmp_path):
    ensemble = Ensemble(tmp_path, config={"secureClientPort": "2281"}).start()
    try:
        log = ensemble.nodes[0].log()
        assert "ignoring configuration key secureClientPort" in log
        assert "ignoring configuration key admin.enableServer" in log
    finally:
        ensemble.stop()


def thread_cpu_ticks(pid, tid):
    """utime + stime of one thread, in clock ticks (/proc/PID/task/TID/stat, after the name)."""
    fields = pathlib.Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def process_cpu_ticks(pid):
    """Each thread's CPU ticks, by thread id."""
    ticks = {}
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            ticks[int(task.name)] = thread_cpu_ticks(pid, task.name)
        except FileNotFoundError:  # ended meanwhile
            pass
    return ticks


def test_main_thread_runs_the_event_loop(tmp_path):
    """The node's event loop runs on the process's main thread, which waits on the sockets
    itself (Network's MainThreadLoop): no poller thread beside it, and the main thread does the
    serving, so a message wakes one thread instead of a poller and then a Dispatch worker."""
    from kazoo.client import KazooClient

    ensemble = Ensemble(tmp_path).start()
    try:
        pid = ensemble.nodes[0].process.pid
        names = [pathlib.Path(task, "comm").read_text().strip() for task in pathlib.Path(f"/proc/{pid}/task").iterdir()]
        assert "petrel.poll" not in names, names
        client = KazooClient(hosts=ensemble.hosts, timeout=10)
        client.start(timeout=10)
        try:
            client.create("/loop", b"")
            before = process_cpu_ticks(pid)
            for i in range(3000):
                client.set("/loop", str(i).encode())
                client.get("/loop")
            after = process_cpu_ticks(pid)
            # A thread started meanwhile counts from zero.
            main_spent = after[pid] - before[pid]
            all_spent = sum(ticks - before.get(tid, 0) for tid, ticks in after.items())
        finally:
            client.stop()
            client.close()
        assert client.connected is False
        # Reads and the requests' handling run on the main thread; only fsyncs (in the kernel,
        # mostly waiting) and snapshots run elsewhere.
        assert main_spent >= all_spent / 3, (main_spent, all_spent)
        assert main_spent > 0
    finally:
        ensemble.stop()
