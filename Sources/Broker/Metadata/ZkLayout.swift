/// Kafka's znode layout in ZooKeeper mode (kafka.zk.ZkData), one place for every path. A
/// standalone broker keeps the same documents under its metadata directory, so the cluster
/// moves them to the coordination service unchanged.
public enum ZkLayout {
    public static let brokersIds = "/brokers/ids"
    public static let brokersTopics = "/brokers/topics"
    public static let brokersSeqId = "/brokers/seqid"
    public static let configTopics = "/config/topics"
    public static let configBrokers = "/config/brokers"
    public static let configChanges = "/config/changes"
    public static let controller = "/controller"
    public static let controllerEpoch = "/controller_epoch"
    public static let clusterId = "/cluster/id"
    public static let adminDeleteTopics = "/admin/delete_topics"
    public static let isrChangeNotification = "/isr_change_notification"
    public static let latestProducerIdBlock = "/latest_producer_id_block"

    public static func broker(_ id: Int32) -> String { "\(brokersIds)/\(id)" }
    public static func topic(_ name: String) -> String { "\(brokersTopics)/\(name)" }
    public static func partitions(_ topic: String) -> String { "\(self.topic(topic))/partitions" }
    public static func partitionState(_ topic: String, _ partition: Int32) -> String {
        "\(partitions(topic))/\(partition)/state"
    }
    public static func topicConfig(_ name: String) -> String { "\(configTopics)/\(name)" }
    public static func deleteTopic(_ name: String) -> String { "\(adminDeleteTopics)/\(name)" }
}
