import Foundation
import KafkaProtocol
import KafkaRecords
import LogStore

/// Produce (key 0), v0–11 as Kafka 3.9 advertises (librdkafka before 2.6 only compresses when
/// v0 is listed). v3+ carries exactly one magic-2 batch per partition; v0–2 carry legacy message
/// sets, converted to a magic-2 batch before they are stored.
///
/// Per partition, before anything is written: the batch is framed and its CRC checked
/// (CORRUPT_MESSAGE), counts and offsets are consistent (INVALID_RECORD), it fits
/// `max.message.bytes` (MESSAGE_TOO_LARGE), zstd needs v7+ (UNSUPPORTED_COMPRESSION_TYPE),
/// acks=all needs `min.insync.replicas` in sync (NOT_ENOUGH_REPLICAS), and an idempotent
/// producer's batch is in sequence (duplicates are answered with their original offsets).
/// A topic whose `compression.type` names a codec gets its batches recompressed to it.
///
/// acks=0 gets no response; as in Kafka, a failed acks=0 request closes the connection so the
/// producer notices. Requests other than acks 0, 1, -1 answer INVALID_REQUIRED_ACKS.
struct ProduceHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...11
    let replicas: ReplicaManager
    let config: BrokerConfig

    func handle(_ request: ProduceRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<ProduceResponse>) -> Void) {
        let version = context.apiVersion
        let validAcks = request.acks == 0 || request.acks == 1 || request.acks == -1
        var failed = false
        var topics: [ProduceResponse.TopicProduceResponse] = []
        for topicData in request.topicData {
            var results: [ProduceResponse.PartitionProduceResponse] = []
            for data in topicData.partitionData {
                let tp = TopicPartition(topic: topicData.name, partition: data.index)
                let outcome: Result<Partition.AppendResult, PartitionError>
                if !validAcks {
                    outcome = .failure(.init(.invalidRequiredAcks, "acks must be -1, 0 or 1, not \(request.acks)"))
                } else {
                    outcome = append(data.records, to: tp, acks: request.acks, version: version)
                }
                switch outcome {
                case .success(let r):
                    results.append(.init(index: data.index, errorCode: 0, baseOffset: r.baseOffset,
                                         logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset))
                case .failure(let e):
                    failed = true
                    results.append(.init(index: data.index, errorCode: e.code.rawValue, baseOffset: -1, logAppendTimeMs: -1,
                                         logStartOffset: -1, errorMessage: e.message))
                }
            }
            topics.append(.init(name: topicData.name, partitionResponses: results))
        }
        if request.acks == 0 {
            return respond(failed ? .closeConnection(reason: "a produce request with acks=0 failed") : .noResponse)
        }
        respond(.of(ProduceResponse(responses: topics)))
    }

    func append(_ records: Records?, to tp: TopicPartition, acks: Int16, version: Int16) -> Result<Partition.AppendResult, PartitionError> {
        guard let partition = replicas.partition(tp) else {
            return .failure(.init(.unknownTopicOrPartition, "This server does not host this topic-partition."))
        }
        guard case .bytes(let bytes)? = records, !bytes.isEmpty else {
            return .failure(.init(.invalidRecord, "Produce request for \(tp) carries no records"))
        }
        let logConfig = partition.log.config
        var batch: [UInt8]
        let header: RecordBatchHeader
        switch ProduceValidation.batch(from: bytes, version: version, maxMessageBytes: logConfig.maxMessageBytes) {
        case .failure(let e): return .failure(e)
        case .success(let (b, h)): (batch, header) = (b, h)
        }
        if let target = TopicCompression(configValue: logConfig.compressionType)?.target(producerCodec: header.compression ?? .none),
            target != header.compression
        {
            switch ProduceValidation.recompress(batch, to: target) {
            case .failure(let e): return .failure(e)
            case .success(let b): batch = b
            }
        }
        if logConfig.messageTimestampType == .createTime, let problem = timestampProblem(header, topic: tp.topic) {
            return .failure(.init(.invalidTimestamp, problem))
        }
        if acks == -1 {
            let required = Int(replicas.topicSetting(tp.topic, "min.insync.replicas") ?? "1") ?? 1
            if partition.isrCount < required {
                return .failure(.init(.notEnoughReplicas,
                    "The size of the current ISR \(partition.isrCount) is insufficient to satisfy the min.isr requirement of \(required) for partition \(tp)"))
            }
        }
        let result = partition.appendAsLeader(&batch, header: header)
        if case .success = result { replicas.fetchPurgatory.notifyAppend(tp) }
        return result
    }
}

extension ProduceHandler {
    /// `message.timestamp.before.max.ms` / `after.max.ms` (KIP-937) on CreateTime batches: the
    /// batch's timestamps must lie within those bounds of the broker's clock (INVALID_TIMESTAMP).
    func timestampProblem(_ header: RecordBatchHeader, topic: String) -> String? {
        let before = Int64(replicas.topicSetting(topic, "message.timestamp.before.max.ms") ?? "") ?? .max
        let after = Int64(replicas.topicSetting(topic, "message.timestamp.after.max.ms") ?? "") ?? .max
        if before == .max && after == .max { return nil }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for ts in [header.baseTimestamp, header.maxTimestamp] where ts >= 0 {
            if before != .max && ts < now - before {
                return "Timestamp \(ts) of message is before the broker's time \(now) by more than message.timestamp.before.max.ms (\(before))"
            }
            if after != .max && ts > now + after {
                return "Timestamp \(ts) of message is after the broker's time \(now) by more than message.timestamp.after.max.ms (\(after))"
            }
        }
        return nil
    }
}

/// The checks a produced record set passes before it may reach a log.
enum ProduceValidation {
    static func error(_ e: RecordsError) -> PartitionError {
        switch e.category {
        case .corruptMessage: return .init(.corruptMessage, e.description)
        case .unsupportedCompression: return .init(.unsupportedCompressionType, e.description)
        case .invalidRecord, .local: return .init(.invalidRecord, e.description)
        }
    }

    /// The one magic-2 batch of a v3+ record set (or the conversion of a v0–2 legacy set),
    /// validated without decompressing it.
    static func batch(from bytes: ArraySlice<UInt8>, version: Int16, maxMessageBytes: Int) -> Result<([UInt8], RecordBatchHeader), PartitionError> {
        var batch: [UInt8]
        if version < 3 {
            do throws(RecordsError) {
                let messages = try LegacyMessageSet.decode(Array(bytes))
                batch = try LegacyMessageSet.convertToRecordBatch(messages, codec: .none, partitionLeaderEpoch: -1)
            } catch {
                return .failure(Self.error(error))
            }
        } else {
            var iterator = RecordBatchIterator(bytes)
            guard let first = iterator.next(), iterator.next() == nil, iterator.stop == .end || iterator.stop == nil else {
                return .failure(.init(.invalidRecord, "Produce requests with version \(version) are only allowed to contain exactly one record batch"))
            }
            guard first.magic == 2 else {
                return .failure(.init(.invalidRecord, "Produce requests with version \(version) are only allowed to contain record batches with magic version 2"))
            }
            batch = Array(bytes[first.range])
        }
        let header: RecordBatchHeader
        do throws(RecordsError) {
            header = try RecordBatchHeader.validate(batch, .produce)
        } catch {
            return .failure(Self.error(error))
        }
        if batch.count > maxMessageBytes {
            return .failure(.init(.messageTooLarge,
                "The request included a message larger than the max message size the server will accept: \(batch.count) > \(maxMessageBytes)"))
        }
        if header.compression == .zstd && version < 7 {
            return .failure(.init(.unsupportedCompressionType, "Produce requests with version \(version) are not allowed to use ZStandard compression"))
        }
        return .success((batch, header))
    }

    /// Rebuilds a batch with another codec (a topic's `compression.type`), keeping its
    /// records, timestamps and producer fields.
    static func recompress(_ batch: [UInt8], to codec: CompressionCodec) -> Result<[UInt8], PartitionError> {
        do throws(RecordsError) {
            let decoded = try RecordBatch.decode(batch)
            let h = decoded.header
            var builder = RecordBatchBuilder(
                baseOffset: 0, partitionLeaderEpoch: h.partitionLeaderEpoch, codec: codec, timestampType: h.timestampType,
                isTransactional: h.isTransactional, isControl: h.isControl,
                producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence)
            for record in decoded.records { try builder.append(record) }
            return .success(try builder.build())
        } catch {
            return .failure(Self.error(error))
        }
    }
}
