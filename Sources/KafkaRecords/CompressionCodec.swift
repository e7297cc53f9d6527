/// The compression of a record batch: bits 0–2 of its attributes, and the values of Kafka's
/// `compression.type` setting.
public enum CompressionCodec: Int16, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    /// Mask of the compression bits in batch (int16) and legacy message (int8) attributes.
    public static let attributeMask: Int16 = 0x07

    /// The codec named by the low three attribute bits; nil for the unassigned values 5–7.
    public init?(attributes: Int16) {
        self.init(rawValue: attributes & Self.attributeMask)
    }

    /// Kafka's name for the codec, as in `compression.type` and kafka-dump-log's `compresscodec`.
    public var name: String {
        switch self {
        case .none: return "none"
        case .gzip: return "gzip"
        case .snappy: return "snappy"
        case .lz4: return "lz4"
        case .zstd: return "zstd"
        }
    }

    public var description: String { name }

    /// Parses a codec name as producers spell it (`compression.type`): case-insensitive, with
    /// "uncompressed" as a synonym of "none".
    public init?(name: String) {
        switch name.lowercased() {
        case "none", "uncompressed": self = .none
        case "gzip": self = .gzip
        case "snappy": self = .snappy
        case "lz4": self = .lz4
        case "zstd": self = .zstd
        default: return nil
        }
    }
}

/// A topic's `compression.type`: a codec the broker recompresses to, or `producer`, which keeps
/// whatever the producer sent.
public enum TopicCompression: Sendable, Equatable, CustomStringConvertible {
    case producer
    case codec(CompressionCodec)

    /// Accepts Kafka's values: "producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"
    /// (and "none", which the producer setting uses).
    public init?(configValue: String) {
        if configValue.lowercased() == "producer" {
            self = .producer
        } else if let codec = CompressionCodec(name: configValue) {
            self = .codec(codec)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .producer: return "producer"
        case .codec(.none): return "uncompressed"
        case .codec(let codec): return codec.name
        }
    }

    /// The codec a batch ends up with in the log, given the one the producer used.
    public func target(producerCodec: CompressionCodec) -> CompressionCodec {
        switch self {
        case .producer: return producerCodec
        case .codec(let codec): return codec
        }
    }
}
