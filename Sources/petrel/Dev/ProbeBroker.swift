import Foundation
import KafkaProtocol
import KafkaRecords
import Synchronization
import Wire

/// A developer's protocol probe: an in-memory, single-node Kafka endpoint that answers real
/// clients with responses encoded by `KafkaProtocol`, and writes every request it decodes (and
/// every record it receives) to a JSON-lines log. The interop tests use it to capture clients'
/// requests, to check that clients accept our responses, and to move record batches compressed
/// by clients in, and batches compressed here out. It keeps nothing on disk and serves one
/// partition log per topic partition in memory: a test fixture, not the broker.
final class ProbeBroker: Sendable {
    struct Topic: Sendable {
        var name: String
        var id: Uuid
        var partitions: Int
    }

    struct Options: Sendable {
        var host: String
        var topics: [Topic]
        /// When set, fetched batches are rebuilt here with this codec before they go out.
        var fetchCodec: CompressionCodec?
    }

    struct State {
        var logs: [String: [Int32: [UInt8]]] = [:]
        var nextOffset: [String: [Int32: Int64]] = [:]
    }

    let options: Options
    let port: UInt16
    let listener: BlockingSocket
    let state = Mutex(State())
    let logLock = Mutex(FileHandle.standardOutput)

    init(options: Options, port: UInt16, log: FileHandle) throws {
        self.options = options
        (listener, self.port) = try BlockingSocket.listen(host: options.host, port: port)
        logLock.withLock { $0 = log }
    }

    /// The API versions the probe answers, consistent with Kafka 3.9 where it serves the API.
    /// Produce starts at v0 as in 3.9: librdkafka before 2.6 compresses with gzip, snappy or lz4
    /// only when the broker lists Produce v0 (Debian's kcat is 2.0.2); clients still send v3+.
    static let advertised: [(ApiKey, ClosedRange<Int16>)] = [
        (.produce, 0...11), (.fetch, 4...17), (.listOffsets, 1...10), (.metadata, 0...12),
        (.findCoordinator, 0...6), (.apiVersions, 0...4),
    ]

    func serve() -> Never {
        while true {
            guard let client = try? listener.accept() else { continue }
            let thread = Thread { [self] in
                self.serveConnection(client)
                client.close()
            }
            thread.start()
        }
    }

    func record(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        logLock.withLock { handle in
            handle.write(data)
            handle.write(Data("\n".utf8))
        }
    }

    func serveConnection(_ socket: BlockingSocket) {
        while true {
            guard let sizeBytes = try? socket.readExactly(4) else { return }
            var sizeReader = ByteReader(sizeBytes)
            guard let size = try? sizeReader.readInt32(), size > 0, size < 100 << 20,
                let frame = try? socket.readExactly(Int(size))
            else { return }
            do {
                guard let response = try respond(to: frame) else { continue }
                try socket.writeAll(response)
            } catch {
                record(["event": "error", "error": "\(error)"])
                return
            }
        }
    }

    /// The response frame for one request frame; nil when none is due (acks=0).
    func respond(to frame: [UInt8]) throws -> [UInt8]? {
        let preamble = try RequestPreamble(frame: frame[...])
        let decoded = Result { () throws(RequestDecodingError) -> DecodedRequest in try DecodedRequest(frame: frame[...]) }
        let request: DecodedRequest
        switch decoded {
        case .success(let r):
            request = r
        case .failure(.unsupportedVersion(let p)) where p.apiKey == ApiKey.apiVersions.rawValue:
            record(["event": "request", "apiKey": Int(p.apiKey), "apiVersion": Int(p.apiVersion), "unsupported": true,
                    "frame": hex(frame)])
            // Kafka answers an ApiVersions version it does not know with a v0 body (KIP-511).
            let answer = ApiVersionsResponse(errorCode: ErrorCode.unsupportedVersion.rawValue, apiKeys: apiKeys())
            return try encodeResponseFrame(answer, correlationId: p.correlationId, version: 0).bytes
        case .failure(let error):
            throw error
        }
        let version = preamble.apiVersion
        record([
            "event": "request", "apiKey": Int(preamble.apiKey), "api": request.apiKey.name,
            "apiVersion": Int(version), "correlationId": Int(preamble.correlationId),
            "clientId": request.header.clientId ?? NSNull(), "frame": hex(frame),
            "body": String(describing: request.body),
        ])
        guard Self.advertised.contains(where: { $0.0 == request.apiKey && $0.1.contains(version) }) else {
            throw ProbeError.notServed(request.apiKey, version)
        }
        let id = preamble.correlationId
        switch request.body {
        case is ApiVersionsRequest:
            return try encodeResponseFrame(ApiVersionsResponse(apiKeys: apiKeys()), correlationId: id, version: version).bytes
        case let r as MetadataRequest:
            return try encodeResponseFrame(metadata(r), correlationId: id, version: version).bytes
        case let r as FindCoordinatorRequest:
            return try encodeResponseFrame(findCoordinator(r, version: version), correlationId: id, version: version).bytes
        case let r as ProduceRequest:
            let response = produce(r)
            return r.acks == 0 ? nil : try encodeResponseFrame(response, correlationId: id, version: version).bytes
        case let r as FetchRequest:
            return try encodeResponseFrame(try fetch(r), correlationId: id, version: version).bytes
        case let r as ListOffsetsRequest:
            return try encodeResponseFrame(listOffsets(r), correlationId: id, version: version).bytes
        default:
            throw ProbeError.notServed(request.apiKey, version)
        }
    }

    func apiKeys() -> [ApiVersionsResponse.ApiVersion] {
        Self.advertised.map { ApiVersionsResponse.ApiVersion(apiKey: $0.0.rawValue, minVersion: $0.1.lowerBound, maxVersion: $0.1.upperBound) }
    }

    func topic(named name: String?) -> Topic? { options.topics.first { $0.name == name } }

    func metadata(_ request: MetadataRequest) -> MetadataResponse {
        let wanted = request.topics.map { $0.compactMap(\.name) } ?? options.topics.map(\.name)
        let topics = wanted.map { name -> MetadataResponse.MetadataResponseTopic in
            guard let topic = topic(named: name) else {
                return .init(errorCode: ErrorCode.unknownTopicOrPartition.rawValue, name: name)
            }
            let partitions = (0..<Int32(topic.partitions)).map {
                // Leader epoch -1: clients then skip their truncation checks against the probe.
                MetadataResponse.MetadataResponsePartition(
                    partitionIndex: $0, leaderId: 0, leaderEpoch: -1, replicaNodes: [0], isrNodes: [0])
            }
            return .init(name: topic.name, topicId: topic.id, partitions: partitions)
        }
        return MetadataResponse(
            brokers: [.init(nodeId: 0, host: options.host, port: Int32(port))],
            clusterId: "petrel-probe", controllerId: 0, topics: topics)
    }

    func findCoordinator(_ request: FindCoordinatorRequest, version: Int16) -> FindCoordinatorResponse {
        if version >= 4 {
            return FindCoordinatorResponse(coordinators: request.coordinatorKeys.map {
                .init(key: $0, nodeId: 0, host: options.host, port: Int32(port))
            })
        }
        return FindCoordinatorResponse(nodeId: 0, host: options.host, port: Int32(port))
    }

    func produce(_ request: ProduceRequest) -> ProduceResponse {
        var responses: [ProduceResponse.TopicProduceResponse] = []
        for topicData in request.topicData {
            var partitions: [ProduceResponse.PartitionProduceResponse] = []
            for partitionData in topicData.partitionData {
                let index = partitionData.index
                guard let topic = topic(named: topicData.name), index >= 0, index < topic.partitions else {
                    partitions.append(.init(index: index, errorCode: ErrorCode.unknownTopicOrPartition.rawValue))
                    continue
                }
                guard case .bytes(let bytes)? = partitionData.records, let batches = try? RecordBatch.decodeAll(bytes, validation: .produce) else {
                    partitions.append(.init(index: index, errorCode: ErrorCode.corruptMessage.rawValue))
                    continue
                }
                var base: Int64 = 0
                state.withLock { state in
                    base = state.nextOffset[topic.name]?[index] ?? 0
                    var next = base
                    var log = state.logs[topic.name]?[index] ?? []
                    for entry in RecordBatchIterator(bytes) {
                        var batch = Array(bytes[entry.range])
                        try? RecordBatchHeader.setBaseOffset(next, in: &batch)
                        next += Int64(entry.header?.lastOffsetDelta ?? 0) + 1
                        log += batch
                    }
                    state.logs[topic.name, default: [:]][index] = log
                    state.nextOffset[topic.name, default: [:]][index] = next
                }
                for batch in batches {
                    record([
                        "event": "produce", "topic": topic.name, "partition": Int(index),
                        "codec": batch.header.compression?.description ?? "unknown",
                        "records": batch.records.map(describe),
                    ])
                }
                partitions.append(.init(index: index, baseOffset: base))
            }
            responses.append(.init(name: topicData.name, partitionResponses: partitions))
        }
        return ProduceResponse(responses: responses)
    }

    func fetch(_ request: FetchRequest) throws -> FetchResponse {
        var responses: [FetchResponse.FetchableTopicResponse] = []
        for fetchTopic in request.topics {
            // Fetch v13+ names topics by id only.
            let name = fetchTopic.topicId == .zero
                ? fetchTopic.topic : options.topics.first { $0.id == fetchTopic.topicId }?.name ?? ""
            var partitions: [FetchResponse.PartitionData] = []
            for p in fetchTopic.partitions {
                let (log, end) = state.withLock { s in
                    (s.logs[name]?[p.partition] ?? [], s.nextOffset[name]?[p.partition] ?? 0)
                }
                var out: [UInt8] = []
                for entry in RecordBatchIterator(log) where (entry.header?.nextOffset ?? 0) > p.fetchOffset {
                    let bytes = Array(log[entry.range])
                    if let codec = options.fetchCodec {
                        out += try recompress(bytes, codec: codec)
                    } else {
                        out += bytes
                    }
                }
                partitions.append(.init(
                    partitionIndex: p.partition, highWatermark: end, lastStableOffset: end, logStartOffset: 0,
                    abortedTransactions: [], records: .bytes(out[...])))
            }
            responses.append(.init(topic: fetchTopic.topic, topicId: fetchTopic.topicId, partitions: partitions))
        }
        return FetchResponse(responses: responses)
    }

    func recompress(_ batch: [UInt8], codec: CompressionCodec) throws -> [UInt8] {
        let decoded = try RecordBatch.decode(batch)
        var builder = RecordBatchBuilder(baseOffset: decoded.header.baseOffset, codec: codec)
        for r in decoded.records { try builder.append(r) }
        return try builder.build()
    }

    func listOffsets(_ request: ListOffsetsRequest) -> ListOffsetsResponse {
        ListOffsetsResponse(topics: request.topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { p in
                let end = state.withLock { $0.nextOffset[t.name]?[p.partitionIndex] ?? 0 }
                // -2 earliest, -1 latest; timestamps are answered with the log end here.
                let offset: Int64 = p.timestamp == -2 ? 0 : end
                return .init(partitionIndex: p.partitionIndex, timestamp: -1, offset: offset, leaderEpoch: -1)
            })
        })
    }

    func describe(_ r: Record) -> [String: Any] {
        [
            "offsetDelta": Int(r.offset), "timestamp": Int(r.timestamp),
            "key": r.key.map { String(decoding: $0, as: UTF8.self) } ?? NSNull(),
            "value": r.value.map { String(decoding: $0, as: UTF8.self) } ?? NSNull(),
            "headers": r.headers.map { [$0.key, $0.value.map { String(decoding: $0, as: UTF8.self) } ?? NSNull()] as [Any] },
        ]
    }

    func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

enum ProbeError: Error, CustomStringConvertible {
    case notServed(ApiKey, Int16)
    var description: String {
        switch self {
        case .notServed(let key, let v): return "the probe does not serve \(key.name) v\(v); closing the connection"
        }
    }
}
