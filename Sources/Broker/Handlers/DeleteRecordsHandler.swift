import KafkaProtocol
import LogStore

/// DeleteRecords (key 21), v0–2: moves each partition's log start offset up to the given
/// offset (-1: the high watermark) and answers the new low watermark; beyond the high
/// watermark is OFFSET_OUT_OF_RANGE.
struct DeleteRecordsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...2
    let replicas: ReplicaManager

    func handle(_ request: DeleteRecordsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<DeleteRecordsResponse>) -> Void) {
        let topics = request.topics.map { t in
            DeleteRecordsResponse.DeleteRecordsTopicResult(name: t.name, partitions: t.partitions.map { p in
                var out = DeleteRecordsResponse.DeleteRecordsPartitionResult(partitionIndex: p.partitionIndex, lowWatermark: -1)
                guard let partition = replicas.partition(TopicPartition(topic: t.name, partition: p.partitionIndex)) else {
                    out.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    return out
                }
                let target = p.offset == -1 ? partition.log.highWatermark : p.offset
                do throws(LogError) {
                    out.lowWatermark = try partition.log.deleteRecords(before: target)
                } catch {
                    out.errorCode = error.kafkaErrorCode
                }
                return out
            })
        }
        respond(.of(DeleteRecordsResponse(topics: topics)))
    }
}
