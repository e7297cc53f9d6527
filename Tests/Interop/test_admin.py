"""Topic administration on a real broker through confluent-kafka's AdminClient,
kafka-python's KafkaAdminClient and kcat."""
import subprocess

import pytest


def test_confluent_admin_topic_lifecycle(broker):
    ck = pytest.importorskip("confluent_kafka")
    from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
    admin = AdminClient({"bootstrap.servers": broker.address})

    futures = admin.create_topics([
        NewTopic("order.created", 3, 1, config={"retention.ms": "604800000"}),
        NewTopic("notification.email", 3, 1, config={"retention.ms": "259200000"}),
        NewTopic("bad topic", 1, 1),
        NewTopic("too.replicated", 1, 3),
    ])
    futures["order.created"].result(10)
    futures["notification.email"].result(10)
    with pytest.raises(ck.KafkaException) as bad:
        futures["bad topic"].result(10)
    assert bad.value.args[0].code() == ck.KafkaError.TOPIC_EXCEPTION
    with pytest.raises(ck.KafkaException) as rf:
        futures["too.replicated"].result(10)
    assert rf.value.args[0].code() == ck.KafkaError.INVALID_REPLICATION_FACTOR
    assert "larger than available brokers: 1" in rf.value.args[0].str()

    again = admin.create_topics([NewTopic("order.created", 3, 1)])["order.created"]
    with pytest.raises(ck.KafkaException) as exists:
        again.result(10)
    assert exists.value.args[0].code() == ck.KafkaError.TOPIC_ALREADY_EXISTS

    metadata = admin.list_topics(timeout=10)
    assert {"order.created", "notification.email"} <= set(metadata.topics)
    assert len(metadata.topics["order.created"].partitions) == 3
    assert metadata.brokers[0].port == broker.port

    configs = admin.describe_configs([ConfigResource("topic", "notification.email")])
    [result] = configs.values()
    entries = result.result(10)
    assert entries["retention.ms"].value == "259200000"
    assert entries["retention.ms"].source == ck.admin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert entries["cleanup.policy"].value == "delete"
    assert entries["cleanup.policy"].is_default

    resource = ConfigResource("topic", "notification.email",
                              incremental_configs=[ck.admin.ConfigEntry("cleanup.policy", "compact",
                                                   incremental_operation=ck.admin.AlterConfigOpType.SET)])
    [f] = admin.incremental_alter_configs([resource]).values()
    f.result(10)
    [result] = admin.describe_configs([ConfigResource("topic", "notification.email")]).values()
    assert result.result(10)["cleanup.policy"].value == "compact"

    admin.create_partitions([NewPartitions("order.created", 6)])["order.created"].result(10)
    assert len(admin.list_topics(timeout=10).topics["order.created"].partitions) == 6
    with pytest.raises(ck.KafkaException) as fewer:
        admin.create_partitions([NewPartitions("order.created", 2)])["order.created"].result(10)
    assert fewer.value.args[0].code() == ck.KafkaError.INVALID_PARTITIONS

    admin.delete_topics(["order.created"])["order.created"].result(10)
    assert "order.created" not in admin.list_topics(timeout=10).topics
    with pytest.raises(ck.KafkaException) as unknown:
        admin.delete_topics(["order.created"])["order.created"].result(10)
    assert unknown.value.args[0].code() == ck.KafkaError.UNKNOWN_TOPIC_OR_PART

    cluster = admin.describe_cluster().result(10)
    assert cluster.controller.id == 0 and len(cluster.nodes) == 1


def test_kafka_python_admin(broker):
    kafka = pytest.importorskip("kafka")
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
    from kafka.errors import InvalidPartitionsError, TopicAlreadyExistsError
    admin = KafkaAdminClient(bootstrap_servers=broker.address, request_timeout_ms=10000)
    admin.create_topics([NewTopic("user.created", 3, 1, topic_configs={"retention.ms": "604800000"})])
    with pytest.raises(TopicAlreadyExistsError):
        admin.create_topics([NewTopic("user.created", 3, 1)])
    assert "user.created" in admin.list_topics()
    [described] = admin.describe_topics(["user.created"])
    assert len(described["partitions"]) == 3
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "user.created")])
    text = str(configs)
    assert "retention.ms" in text and "604800000" in text
    admin.create_partitions({"user.created": NewPartitions(total_count=4)})
    with pytest.raises(InvalidPartitionsError):
        admin.create_partitions({"user.created": NewPartitions(total_count=4)})
    admin.delete_topics(["user.created"])
    assert "user.created" not in admin.list_topics()
    admin.close()


def test_topics_survive_a_restart(broker_factory, tmp_path):
    ck = pytest.importorskip("confluent_kafka")
    from confluent_kafka.admin import AdminClient, NewTopic
    first = broker_factory()
    admin = AdminClient({"bootstrap.servers": first.address})
    admin.create_topics([NewTopic("order.updated", 3, 1, config={"retention.ms": "604800000"})])["order.updated"].result(10)
    port, log_dir = first.port, first.log_dir
    assert first.stop() == 0
    second = broker_factory(port=port, log_dir=log_dir)
    topics = AdminClient({"bootstrap.servers": second.address}).list_topics(timeout=10).topics
    assert len(topics["order.updated"].partitions) == 3


def test_kcat_lists_metadata_with_auto_created_topic(broker, kcat):
    out = subprocess.run([kcat, "-b", broker.address, "-L", "-t", "auto.made"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert 'topic "auto.made" with 3 partitions:' in out.stdout
    assert f"broker 0 at 127.0.0.1:{broker.port} (controller)" in out.stdout


def test_delete_records_list_offsets_and_log_dirs(broker):
    ck = pytest.importorskip("confluent_kafka")
    kafka = pytest.importorskip("kafka")
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec
    admin = AdminClient({"bootstrap.servers": broker.address})
    admin.create_topics([NewTopic("trimmed", 1, 1)])["trimmed"].result(10)
    p = ck.Producer({"bootstrap.servers": broker.address})
    for i in range(50):
        p.produce("trimmed", value=str(i).encode(), partition=0, timestamp=1_700_000_000_000 + i)
    assert p.flush(10) == 0

    tp = TopicPartition("trimmed", 0)
    offsets = admin.list_offsets({tp: OffsetSpec.earliest()})[tp].result(10)
    assert offsets.offset == 0
    assert admin.list_offsets({tp: OffsetSpec.latest()})[tp].result(10).offset == 50
    assert admin.list_offsets({tp: OffsetSpec.max_timestamp()})[tp].result(10).offset == 49

    deleted = admin.delete_records([TopicPartition("trimmed", 0, 20)])
    result = deleted[TopicPartition("trimmed", 0)].result(10)
    assert result.low_watermark == 20
    assert admin.list_offsets({tp: OffsetSpec.earliest()})[tp].result(10).offset == 20
    beyond = admin.delete_records([TopicPartition("trimmed", 0, 500)])
    with pytest.raises(ck.KafkaException) as out_of_range:
        beyond[TopicPartition("trimmed", 0)].result(10)
    assert out_of_range.value.args[0].code() == ck.KafkaError.OFFSET_OUT_OF_RANGE

    c = ck.Consumer({"bootstrap.servers": broker.address, "group.id": "x", "enable.auto.commit": False})
    c.assign([TopicPartition("trimmed", 0, ck.OFFSET_BEGINNING)])
    first = None
    for _ in range(40):
        m = c.poll(0.5)
        if m is not None and not m.error():
            first = m
            break
    c.close()
    assert first is not None and first.offset() == 20

    kadmin = kafka.admin.KafkaAdminClient(bootstrap_servers=broker.address)
    dirs = str(kadmin.describe_log_dirs())
    kadmin.close()
    assert str(broker.log_dir) in dirs and "trimmed" in dirs
