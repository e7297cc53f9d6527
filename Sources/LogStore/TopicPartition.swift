/// A partition of a topic: the key of every log. Its directory is `<topic>-<partition>`.
public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// The partition directory's name, as Kafka names it.
    public var directoryName: String { "\(topic)-\(partition)" }
    public var description: String { directoryName }

    /// Parses a partition directory name: everything up to the last `-` is the topic (topic
    /// names may contain `-`), the rest a non-negative partition number. Names of directories
    /// being deleted (`….<uuid>-delete`) or moved (`-future`) are not partitions.
    public init?(directoryName name: String) {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let topic = String(name[..<dash])
        let number = name[name.index(after: dash)...]
        guard !topic.isEmpty, !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }),
            let partition = Int32(number), Self.isValidTopicName(topic)
        else { return nil }
        self.init(topic: topic, partition: partition)
    }

    /// Kafka's legal topic names: 1–249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
    public static func isValidTopicName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 249, name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F || c == 0x2D
        }
    }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}
