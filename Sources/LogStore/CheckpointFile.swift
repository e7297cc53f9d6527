/// A checkpoint file could not be parsed; the caller logs it and falls back to recovery.
struct CheckpointError: Error, Sendable, CustomStringConvertible {
    var path: String
    var detail: String
    var description: String { "malformed checkpoint \(path): \(detail)" }
}

/// Kafka's checkpoint text format, shared by the offset checkpoints and the leader-epoch
/// checkpoint:
///
///     0                  version
///     2                  number of entries
///     <entry>            one line each, fields separated by single spaces
///     <entry>
///
/// Written atomically (temporary file, fsync, rename, fsync of the directory).
enum CheckpointText {
    static func encode(_ lines: [String]) -> [UInt8] {
        var text = "0\n\(lines.count)\n"
        for line in lines { text += line + "\n" }
        return Array(text.utf8)
    }

    /// The entry lines, split into fields, checked for version 0 and the declared count.
    static func decode(_ bytes: [UInt8], path: String, fields: Int) throws(CheckpointError) -> [[Substring]] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CheckpointError(path: path, detail: "not UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.count >= 2 else { throw CheckpointError(path: path, detail: "missing version or count") }
        guard lines[0] == "0" else { throw CheckpointError(path: path, detail: "unsupported version \(lines[0].prefix(20))") }
        guard let count = Int(lines[1]), count >= 0 else {
            throw CheckpointError(path: path, detail: "bad entry count \(lines[1].prefix(20))")
        }
        guard lines.count - 2 == count else {
            throw CheckpointError(path: path, detail: "declares \(count) entries, holds \(lines.count - 2)")
        }
        var entries: [[Substring]] = []
        for (index, line) in lines.dropFirst(2).enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == fields, parts.allSatisfy({ !$0.isEmpty }) else {
                throw CheckpointError(path: path, detail: "entry \(index) is malformed: \(line.prefix(80))")
            }
            entries.append(parts)
        }
        return entries
    }
}

/// `recovery-point-offset-checkpoint`, `replication-offset-checkpoint`,
/// `log-start-offset-checkpoint`, `cleaner-offset-checkpoint`: one per log directory, a line
/// `topic partition offset` per partition.
struct OffsetCheckpointFile: Sendable {
    static let recoveryPoint = "recovery-point-offset-checkpoint"
    static let replication = "replication-offset-checkpoint"
    static let logStartOffset = "log-start-offset-checkpoint"
    static let cleaner = "cleaner-offset-checkpoint"

    let path: String

    func write(_ offsets: [TopicPartition: Int64]) throws(SystemError) {
        let lines = offsets.sorted { $0.key < $1.key }.map { "\($0.key.topic) \($0.key.partition) \($0.value)" }
        try Posix.writeFileAtomically(path, CheckpointText.encode(lines))
    }

    /// The offsets, or an empty map if the file does not exist.
    func read() throws(CheckpointError) -> [TopicPartition: Int64] {
        guard Posix.exists(path) else { return [:] }
        let bytes: [UInt8]
        do throws(SystemError) {
            bytes = try Posix.readSmallFile(path)
        } catch {
            throw CheckpointError(path: path, detail: error.description)
        }
        var result: [TopicPartition: Int64] = [:]
        for fields in try CheckpointText.decode(bytes, path: path, fields: 3) {
            guard let partition = Int32(fields[1]), partition >= 0, let offset = Int64(fields[2]), offset >= 0 else {
                throw CheckpointError(path: path, detail: "bad entry \(fields.joined(separator: " ").prefix(80))")
            }
            result[TopicPartition(topic: String(fields[0]), partition: partition)] = offset
        }
        return result
    }
}
