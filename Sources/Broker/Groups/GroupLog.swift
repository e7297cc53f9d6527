import KafkaProtocol

/// One record of `__consumer_offsets` as the coordinator sees it: key and value bytes in the
/// formats of `GroupRecords`, a nil value being a tombstone.
struct GroupLogRecord: Sendable, Equatable {
    var key: [UInt8]
    var value: [UInt8]?
}

/// Where the coordinator keeps its state: the partitions of `__consumer_offsets`. The real one
/// is `OffsetsTopic`; tests use an in-memory log.
protocol GroupLog: Sendable {
    /// The topic's partition count and the partitions this broker leads, or nil if the topic
    /// does not exist yet.
    func layout() -> (partitionCount: Int, local: [Int32])?
    /// Creates the topic (first use): compacted, `offsets.topic.num.partitions` partitions.
    func createTopic() -> Result<(partitionCount: Int, local: [Int32]), GroupLogError>
    /// Appends the records as one batch to a partition this broker leads.
    func append(partition: Int32, records: [GroupLogRecord], timestamp: Int64) -> Result<Void, GroupLogError>
    /// Every record of a partition, oldest first, for loading; returns how many batches were
    /// skipped because they do not decode.
    func read(partition: Int32, _ visit: (GroupLogRecord) -> Void) -> Result<Int, GroupLogError>
}

/// A failure of the group log with the Kafka error the append or read produced.
struct GroupLogError: Error, Sendable, Equatable {
    var code: ErrorCode
    var message: String
}
