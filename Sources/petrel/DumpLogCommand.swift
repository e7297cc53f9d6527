import ArgumentParser
import Foundation
import KafkaRecords

/// `petrel dump-log`: Kafka's kafka-dump-log.sh for log segment files (and any file of
/// back-to-back batches, such as a captured Produce record set).
///
/// One line per batch with its header fields, CRC and whether the CRC is valid; with
/// `--print-data-log`, one line per record under it. `--json` prints the same as one JSON object
/// per batch (records nested, keys and values base64-encoded) so tests can compare exactly.
/// Magic 0/1 entries print as Kafka prints legacy messages; a compressed wrapper's inner
/// messages are listed as its records.
struct DumpLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-log",
        abstract: "Print the record batches of log segment files (like kafka-dump-log.sh).")

    @Option(help: "Comma-separated list of data files to dump.") var files: String
    @Flag(help: "Print each record's offset, timestamp, key, value and headers.") var printDataLog = false
    @Flag(help: "Print JSON lines instead of Kafka's text format.") var json = false
    @Option(help: "Largest decompressed size of one batch, in bytes.")
    var maxUncompressedBytes = RecordBatch.defaultMaxUncompressedBytes

    func run() throws {
        for path in files.split(separator: ",").map(String.init) where !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            dump([UInt8](data), path: path)
        }
    }

    func dump(_ bytes: [UInt8], path: String) {
        if !json {
            print("Dumping \(path)")
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            if let start = Int64(name) { print("Log starting offset: \(start)") }
        }
        var iterator = RecordBatchIterator(bytes)
        while let entry = iterator.next() {
            if entry.magic == 2 {
                dumpBatch(bytes[entry.range], position: entry.range.lowerBound)
            } else {
                dumpLegacy(bytes[entry.range], position: entry.range.lowerBound)
            }
        }
        switch iterator.stop {
        case .partial(let position, let available, _)?:
            if json {
                emit(["type": "partial", "file": path, "position": position, "bytes": available])
            } else {
                print("Found \(available) invalid bytes at the end of \(URL(fileURLWithPath: path).lastPathComponent)")
            }
        case .invalid(let position, let error)?:
            if json {
                emit(["type": "error", "file": path, "position": position, "error": "\(error)"])
            } else {
                print("Cannot read an entry at position \(position): \(error)")
            }
        default:
            break
        }
    }

    func dumpBatch(_ bytes: ArraySlice<UInt8>, position: Int) {
        guard let header = try? RecordBatchHeader(parsing: bytes) else { return }
        var validity: String?
        do {
            _ = try RecordBatchHeader.validate(bytes, .stored)
        } catch {
            validity = "\(error)"
        }
        let codec = header.compression?.name ?? "unknown(\(header.attributes & 7))"
        var records: [Record] = []
        var recordError: String?
        if printDataLog {
            let lenient = RecordBatchValidation(requireZeroBaseOffset: false, requireDenseOffsets: false, verifyCRC: false)
            do {
                records = try RecordBatch.decode(bytes, maxUncompressedBytes: maxUncompressedBytes, validation: lenient).records
            } catch {
                recordError = "\(error)"
            }
        }
        if json {
            var object: [String: Any] = [
                "type": "batch", "position": position, "size": bytes.count, "magic": Int(header.magic),
                "baseOffset": header.baseOffset, "lastOffset": header.lastOffset, "count": Int(header.recordsCount),
                "baseSequence": Int(header.baseSequence), "lastSequence": Int(header.lastSequence),
                "producerId": header.producerId, "producerEpoch": Int(header.producerEpoch),
                "partitionLeaderEpoch": Int(header.partitionLeaderEpoch),
                "isTransactional": header.isTransactional, "isControl": header.isControl,
                "hasDeleteHorizon": header.hasDeleteHorizon,
                "timestampType": header.timestampType.description, "baseTimestamp": header.baseTimestamp,
                "maxTimestamp": header.maxTimestamp, "compresscodec": codec, "crc": Int(header.crc),
                "isvalid": validity == nil,
            ]
            if let validity { object["invalidReason"] = validity }
            if printDataLog {
                object["records"] = records.map { record -> [String: Any] in
                    [
                        "offset": record.offset, "timestamp": record.timestamp,
                        "key": base64(record.key), "value": base64(record.value),
                        "headers": record.headers.map { ["key": $0.key, "value": base64($0.value)] as [String: Any] },
                    ]
                }
                if let recordError { object["recordsError"] = recordError }
            }
            emit(object)
            return
        }
        let deleteHorizon = header.hasDeleteHorizon ? "OptionalLong[\(header.baseTimestamp)]" : "OptionalLong.empty"
        print(
            "baseOffset: \(header.baseOffset) lastOffset: \(header.lastOffset) count: \(header.recordsCount) "
                + "baseSequence: \(header.baseSequence) lastSequence: \(header.lastSequence) "
                + "producerId: \(header.producerId) producerEpoch: \(header.producerEpoch) "
                + "partitionLeaderEpoch: \(header.partitionLeaderEpoch) isTransactional: \(header.isTransactional) "
                + "isControl: \(header.isControl) deleteHorizonMs: \(deleteHorizon) position: \(position) "
                + "\(header.timestampType): \(header.maxTimestamp) size: \(bytes.count) magic: \(header.magic) "
                + "compresscodec: \(codec) crc: \(header.crc) isvalid: \(validity == nil)")
        guard printDataLog else { return }
        for record in records {
            var line = "| offset: \(record.offset) \(header.timestampType): \(record.timestamp) "
            line += "keySize: \(record.key?.count ?? -1) valueSize: \(record.value?.count ?? -1) "
            if header.isControl, let key = record.key, let controlKey = try? ControlRecordKey(decoding: key) {
                let type = controlKey.type.map { "\($0)".uppercased() } ?? "UNKNOWN(\(controlKey.typeCode))"
                line += "endTxnMarker: \(type)"
                if let value = record.value, let marker = try? EndTransactionMarker(decoding: value) {
                    line += " coordinatorEpoch: \(marker.coordinatorEpoch)"
                }
            } else {
                let sequence = header.baseSequence < 0 ? -1 : Int64(header.baseSequence) &+ (record.offset &- header.baseOffset)
                line += "sequence: \(sequence) headerKeys: [\(record.headers.map(\.key).joined(separator: ","))]"
                if let key = record.key { line += " key: \(text(key))" }
                if let value = record.value { line += " payload: \(text(value))" }
            }
            print(line)
        }
        if let recordError { print("| cannot decode records: \(recordError)") }
    }

    func dumpLegacy(_ bytes: ArraySlice<UInt8>, position: Int) {
        var message: LegacyMessage?
        var validity: String?
        do {
            message = try LegacyMessageSet.decodeShallow(bytes, verifyCRC: true, allowPartialTail: false).first
        } catch {
            validity = "\(error)"
            message = try? LegacyMessageSet.decodeShallow(bytes, verifyCRC: false, allowPartialTail: false).first
        }
        guard let message else {
            if json { emit(["type": "error", "position": position, "error": validity ?? "unreadable"]) }
            else { print("Cannot read a message at position \(position): \(validity ?? "unreadable")") }
            return
        }
        let codec = message.compression?.name ?? "unknown(\(message.attributes & 7))"
        var inner: [LegacyMessage] = []
        var innerError: String?
        if printDataLog {
            do {
                inner = try LegacyMessageSet.decode(bytes, maxUncompressedBytes: maxUncompressedBytes, verifyCRC: false)
            } catch {
                innerError = "\(error)"
            }
        }
        let timestampType = message.timestampType?.description ?? "NoTimestampType"
        if json {
            var object: [String: Any] = [
                "type": "batch", "position": position, "size": bytes.count, "magic": Int(message.magic),
                "baseOffset": inner.first?.offset ?? message.offset, "lastOffset": message.offset,
                "count": inner.isEmpty ? 1 : inner.count, "timestampType": timestampType,
                "maxTimestamp": message.timestamp, "compresscodec": codec, "crc": Int(message.crc), "isvalid": validity == nil,
            ]
            if let validity { object["invalidReason"] = validity }
            if printDataLog {
                object["records"] = inner.map { m -> [String: Any] in
                    ["offset": m.offset, "timestamp": m.timestamp, "key": base64(m.key), "value": base64(m.value), "headers": [Any]()]
                }
                if let innerError { object["recordsError"] = innerError }
            }
            emit(object)
            return
        }
        print(
            "offset: \(message.offset) position: \(position) \(timestampType): \(message.timestamp) "
                + "isvalid: \(validity == nil) size: \(bytes.count) magic: \(message.magic) "
                + "compresscodec: \(codec) crc: \(message.crc)")
        for m in inner {
            var line = "| offset: \(m.offset) \(timestampType): \(m.timestamp) "
            line += "keySize: \(m.key?.count ?? -1) valueSize: \(m.value?.count ?? -1)"
            if let key = m.key { line += " key: \(text(key))" }
            if let value = m.value { line += " payload: \(text(value))" }
            print(line)
        }
        if let innerError { print("| cannot decode inner messages: \(innerError)") }
    }

    func base64(_ bytes: [UInt8]?) -> Any {
        guard let bytes else { return NSNull() }
        return Data(bytes).base64EncodedString()
    }

    /// Kafka prints keys and values as UTF-8 text.
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
