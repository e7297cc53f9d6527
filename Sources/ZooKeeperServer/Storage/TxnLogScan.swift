import Wire

/// One transaction log file read back record by record (the format is in `TxnLogFile`):
/// where each good record starts and ends, and where and why reading stopped early. Recovery,
/// truncation and the quorum's DIFF reads all walk a file this way, so they agree on what a
/// torn or damaged record is.
struct TxnLogScan {
    struct Record {
        var txn: Txn
        /// The encoded transaction, as stored (the quorum replicates these bytes).
        var payload: ArraySlice<UInt8>
        /// Where the record's checksum starts; the file is cut here to drop it and what follows.
        var offset: Int
    }

    var records: [Record] = []
    /// Just past the last good record (the header's end when there is none).
    var end: Int
    /// Why reading stopped before the end of the written part, or nil at a clean end (the end
    /// of the file, or the zeros of preallocation).
    var damage: String?

    /// Reads `bytes` (a whole file). Records at or below `after` are skipped but still checked;
    /// records above it must follow `previous` and each other in increasing zxid order.
    init(_ bytes: [UInt8], after: Int64, previous: Int64) {
        end = StorageFiles.headerSize
        guard StorageFiles.hasHeader(bytes, magic: StorageFiles.logMagic) else {
            end = 0
            damage = "no log header"
            return
        }
        var lastZxid = previous
        var offset = StorageFiles.headerSize
        while offset + 12 <= bytes.count {
            let checksum = UInt64(Self.readUInt32(bytes, offset)) << 32 | UInt64(Self.readUInt32(bytes, offset + 4))
            let length = Int(Int32(bitPattern: Self.readUInt32(bytes, offset + 8)))
            if length == 0 && checksum == 0 { return }
            if length <= 0 || length > TxnLogFile.maxRecord || offset + TxnLogFile.framing + length > bytes.count {
                damage = "record length \(length) does not fit"
                return
            }
            let payload = bytes[(offset + 12)..<(offset + 12 + length)]
            if bytes[offset + 12 + length] != TxnLogFile.endOfRecord {
                damage = "record not ended by 'B'"
                return
            }
            if UInt64(Adler32.checksum(payload)) != checksum {
                damage = "checksum mismatch"
                return
            }
            var reader = ByteReader(payload)
            guard let txn = try? TxnCodec.decode(from: &reader), reader.isAtEnd else {
                damage = "record does not decode"
                return
            }
            if txn.zxid <= lastZxid && txn.zxid > after {
                damage = "zxid \(txn.zxid) does not follow \(lastZxid)"
                return
            }
            if txn.zxid > after {
                records.append(Record(txn: txn, payload: payload, offset: offset))
                lastZxid = txn.zxid
            }
            offset += TxnLogFile.framing + length
            end = offset
        }
        if offset < bytes.count && bytes[offset...].contains(where: { $0 != 0 }) {
            damage = "partial record header"
        }
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
