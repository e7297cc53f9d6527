import Wire

/// `partition.metadata` in a partition directory: the topic id, so a partition directory can
/// be matched to its topic even after the topic was deleted and re-created under the same name.
///
///     version: 0
///     topic_id: <22-character URL-safe base64 of the 16-byte id>
enum PartitionMetadataFile {
    static func write(directory: String, topicId: Uuid) throws(SystemError) {
        let text = "version: 0\ntopic_id: \(topicId)\n"
        try Posix.writeFileAtomically(directory + "/" + SegmentFileNames.partitionMetadata, Array(text.utf8))
    }

    /// The topic id, nil when the file is absent; a malformed file is an error.
    static func read(directory: String) throws(CheckpointError) -> Uuid? {
        let path = directory + "/" + SegmentFileNames.partitionMetadata
        guard Posix.exists(path) else { return nil }
        guard let bytes = try? Posix.readSmallFile(path, limit: 4096), let text = String(validating: bytes, as: UTF8.self) else {
            throw CheckpointError(path: path, detail: "unreadable")
        }
        var version: String?
        var id: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingSpaces }
            guard parts.count == 2 else { continue }
            if parts[0] == "version" { version = parts[1] }
            if parts[0] == "topic_id" { id = parts[1] }
        }
        guard version == "0" else { throw CheckpointError(path: path, detail: "unsupported version") }
        guard let id, let uuid = Uuid(base64URL: id) else { throw CheckpointError(path: path, detail: "bad topic_id") }
        return uuid
    }
}

/// `meta.properties` at the root of each log directory, Java properties as Kafka writes them
/// in ZooKeeper mode:
///
///     version=0
///     broker.id=1
///     cluster.id=<id>
///
/// It ties the directory to one broker and cluster, so a disk moved to the wrong broker is
/// noticed rather than served.
public struct MetaProperties: Sendable, Equatable {
    public static let fileName = "meta.properties"
    public var brokerId: Int32
    public var clusterId: String?

    public init(brokerId: Int32, clusterId: String?) {
        self.brokerId = brokerId
        self.clusterId = clusterId
    }

    func encode() -> [UInt8] {
        var text = "#\n#Written by Petrel\nversion=0\nbroker.id=\(brokerId)\n"
        if let clusterId { text += "cluster.id=\(clusterId)\n" }
        return Array(text.utf8)
    }

    static func parse(_ bytes: [UInt8], path: String) throws(CheckpointError) -> MetaProperties {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CheckpointError(path: path, detail: "not UTF-8") }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("!") { continue }
            guard let eq = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            values[String(trimmed[..<eq]).trimmingSpaces] = String(trimmed[trimmed.index(after: eq)...]).trimmingSpaces
        }
        guard values["version"] == "0" else { throw CheckpointError(path: path, detail: "unsupported version") }
        guard let text = values["broker.id"], let id = Int32(text) else { throw CheckpointError(path: path, detail: "bad broker.id") }
        return MetaProperties(brokerId: id, clusterId: values["cluster.id"])
    }
}
