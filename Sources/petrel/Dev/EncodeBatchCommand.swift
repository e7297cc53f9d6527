import ArgumentParser
import Foundation
import KafkaRecords

/// `petrel dev encode-batch`: builds one magic-2 record batch from JSON records on standard
/// input and writes it to a file, so tests can hand batches made here to real clients' decoders.
///
/// Input: a JSON array of records, each `{"key": base64|null, "value": base64|null,
/// "timestamp": ms (optional), "headers": [{"key": "text", "value": base64|null}] (optional)}`.
/// Prints one JSON line describing the batch written.
struct EncodeBatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-batch",
        abstract: "Encode JSON records from standard input as one record batch (test tooling).",
        shouldDisplay: false)

    @Option(help: "Compression: none, gzip, snappy, lz4 or zstd.") var codec = "none"
    @Option(help: "File to write the batch to.") var output: String
    @Flag(help: "Append to the file instead of replacing it.") var append = false
    @Option(help: "The batch's baseOffset.") var baseOffset: Int64 = 0
    @Option(help: "The batch's partitionLeaderEpoch.") var partitionLeaderEpoch: Int32 = -1
    @Option(help: "Idempotent producer id (-1: none).") var producerId: Int64 = -1
    @Option(help: "Producer epoch.") var producerEpoch: Int16 = -1
    @Option(help: "Sequence of the first record.") var baseSequence: Int32 = -1
    @Flag(help: "Mark the batch transactional.") var transactional = false

    func run() throws {
        guard let compression = CompressionCodec(name: codec) else { throw ValidationError("unknown codec '\(codec)'") }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let list = try JSONSerialization.jsonObject(with: input) as? [[String: Any]] else {
            throw ValidationError("standard input must be a JSON array of record objects")
        }
        var builder = RecordBatchBuilder(
            baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch, codec: compression,
            isTransactional: transactional, producerId: producerId, producerEpoch: producerEpoch,
            baseSequence: baseSequence)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for (index, object) in list.enumerated() {
            var headers: [RecordHeader] = []
            for header in object["headers"] as? [[String: Any]] ?? [] {
                guard let key = header["key"] as? String else { throw ValidationError("record \(index): header without a key") }
                headers.append(RecordHeader(key: key, value: try bytes(header["value"], "record \(index) header value")))
            }
            let timestamp = (object["timestamp"] as? NSNumber)?.int64Value ?? now
            builder.append(
                key: try bytes(object["key"], "record \(index) key"), value: try bytes(object["value"], "record \(index) value"),
                headers: headers, timestamp: timestamp)
        }
        let batch = try builder.build()
        if append, let handle = FileHandle(forWritingAtPath: output) {
            handle.seekToEndOfFile()
            handle.write(Data(batch))
            handle.closeFile()
        } else {
            guard FileManager.default.createFile(atPath: output, contents: Data(batch)) else {
                throw ValidationError("cannot write \(output)")
            }
        }
        let header = try RecordBatchHeader.validate(batch)
        let summary: [String: Any] = [
            "bytes": batch.count, "records": Int(header.recordsCount), "crc": Int(header.crc),
            "compresscodec": compression.name,
        ]
        let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// A base64 JSON string as bytes; JSON null (or absence) as nil.
    func bytes(_ value: Any?, _ what: String) throws -> [UInt8]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let text = value as? String, let data = Data(base64Encoded: text) else {
            throw ValidationError("\(what) is not base64 or null")
        }
        return [UInt8](data)
    }
}
