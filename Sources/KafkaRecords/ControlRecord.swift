import Wire

/// The types of control records (the key of the single record of a control batch).
/// ABORT and COMMIT are transaction markers; the rest are KRaft-internal.
public enum ControlRecordType: Int16, Sendable, CaseIterable {
    case abort = 0
    case commit = 1
    case leaderChange = 2
    case snapshotHeader = 3
    case snapshotFooter = 4
    case kraftVersion = 5
    case kraftVoters = 6
}

/// A control record's key: int16 version (0) + int16 type.
public struct ControlRecordKey: Sendable, Hashable {
    public var version: Int16
    /// The raw type, so unknown future types survive a decode.
    public var typeCode: Int16

    public init(version: Int16 = 0, type: ControlRecordType) {
        self.version = version
        self.typeCode = type.rawValue
    }

    public var type: ControlRecordType? { ControlRecordType(rawValue: typeCode) }

    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 4)
        writer.writeInt16(version)
        writer.writeInt16(typeCode)
        return writer.bytes
    }

    public init<C: Collection<UInt8>>(decoding bytes: C) throws(RecordsError) {
        var reader = ByteReader(Array(bytes))
        do throws(WireError) {
            version = try reader.readInt16()
            typeCode = try reader.readInt16()
        } catch {
            throw RecordsError.invalidRecord(index: 0, detail: "control record key: \(error)")
        }
    }
}

/// The value of an ABORT or COMMIT control record: int16 version (0) + int32 coordinatorEpoch.
public struct EndTransactionMarker: Sendable, Hashable {
    public var version: Int16
    public var coordinatorEpoch: Int32

    public init(version: Int16 = 0, coordinatorEpoch: Int32) {
        self.version = version
        self.coordinatorEpoch = coordinatorEpoch
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 6)
        writer.writeInt16(version)
        writer.writeInt32(coordinatorEpoch)
        return writer.bytes
    }

    /// Later versions may append fields; like Kafka, read the ones known and ignore the rest.
    public init<C: Collection<UInt8>>(decoding bytes: C) throws(RecordsError) {
        var reader = ByteReader(Array(bytes))
        do throws(WireError) {
            version = try reader.readInt16()
            coordinatorEpoch = try reader.readInt32()
        } catch {
            throw RecordsError.invalidRecord(index: 0, detail: "end transaction marker: \(error)")
        }
    }
}

extension RecordBatchBuilder {
    /// The control batch the transaction coordinator's WriteTxnMarkers puts in a partition: one
    /// transactional control record, ABORT or COMMIT, for the producer's transaction.
    public static func endTransactionMarker(
        commit: Bool, producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32, timestamp: Int64,
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1
    ) throws(RecordsError) -> [UInt8] {
        var builder = RecordBatchBuilder(
            baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch, isTransactional: true,
            isControl: true, producerId: producerId, producerEpoch: producerEpoch)
        builder.append(
            key: ControlRecordKey(type: commit ? .commit : .abort).encoded,
            value: EndTransactionMarker(coordinatorEpoch: coordinatorEpoch).encoded,
            timestamp: timestamp)
        return try builder.build()
    }
}
