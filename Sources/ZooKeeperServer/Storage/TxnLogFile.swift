import Glibc
import Wire

/// The transaction log: `dataLogDir/version-2/log.<first zxid>` files in Apache ZooKeeper's
/// format (`FileTxnLog`), so its `TxnLogToolkit` reads them and Petrel reads its logs:
///
///     FileHeader { int magic "ZKLG"; int version 2; long dbid 0 }
///     then per transaction:
///     long Adler-32 of the entry | int length N (> 0) | entry (N bytes, `TxnCodec`) | byte 'B'
///
/// Files grow in `preAllocSize` steps of zeros, so a checksum and length of 0 mark the end of
/// what was written. A record is acknowledged only after `sync()` returns.
///
/// **Writer.** Owned by one queue. `append` opens a new file when none is open, named by the
/// zxid of its first record; `roll` closes the current file (after a snapshot), so the next
/// append starts a new one. A restart always starts a new file too.
///
/// **Reader / recovery.** `recover` reads every file in order, returning the transactions
/// after a given zxid. At the first record that is incomplete, lacks its 'B', fails its
/// checksum, does not decode or does not follow the previous zxid — a write torn by a crash —
/// the file is truncated there; the zeros of preallocation are not an error. A damaged record
/// in a file that is not the newest is real corruption and stops recovery with an error.
final class TxnLogFile: @unchecked Sendable {
    let directory: String
    let preallocationStep: Int
    private var current: FileHandle?
    private var position = 0
    private var allocated = 0
    private(set) var currentFirstZxid: Int64?

    /// Records above this size are refused at recovery as damage (jute.maxbuffer plus room).
    static let maxRecord = 64 << 20
    /// Checksum (8), length (4), and the 'B' after the entry (1).
    static let framing = 13
    static let endOfRecord = UInt8(ascii: "B")

    init(directory: String, preAllocSizeKB: Int) {
        self.directory = directory
        self.preallocationStep = max(preAllocSizeKB, 4) * 1024
    }

    /// Appends one encoded transaction (not yet durable).
    func append(_ payload: [UInt8], zxid: Int64) throws(FileError) {
        if current == nil { try open(firstZxid: zxid) }
        guard let file = current else { return }
        var record: [UInt8] = []
        record.reserveCapacity(payload.count + Self.framing)
        let checksum = UInt64(Adler32.checksum(payload))
        for shift in stride(from: 56, through: 0, by: -8) { record.append(UInt8(truncatingIfNeeded: checksum >> UInt64(shift))) }
        let length = UInt32(truncatingIfNeeded: payload.count)
        for shift in stride(from: 24, through: 0, by: -8) { record.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        record += payload
        record.append(Self.endOfRecord)
        if position + record.count > allocated {
            let target = (position + record.count + preallocationStep) / preallocationStep * preallocationStep
            try file.preallocate(to: target)
            allocated = target
        }
        try file.write(record, at: position)
        position += record.count
    }

    /// Makes every appended record durable.
    func sync() throws(FileError) {
        try current?.syncData()
    }

    /// Ends the current file; the next append opens `log.<its zxid>`.
    func roll() throws(FileError) {
        try sync()
        current = nil
        currentFirstZxid = nil
    }

    func close() throws(FileError) {
        try roll()
    }

    private func open(firstZxid: Int64) throws(FileError) {
        try FileSystem.createDirectories(directory)
        let path = directory + "/" + StorageFiles.logName(firstZxid)
        let file = try FileHandle.open(path, flags: O_RDWR | O_CREAT | O_TRUNC)
        try file.write(StorageFiles.header(magic: StorageFiles.logMagic), at: 0)
        try file.sync()
        try FileSystem.syncDirectory(directory)
        current = file
        position = StorageFiles.headerSize
        allocated = try file.size()
        currentFirstZxid = firstZxid
    }

    // MARK: Recovery

    struct Recovered {
        var txns: [Txn] = []
        /// Files truncated because of a torn tail, with the offset where they now end.
        var truncated: [(path: String, at: Int)] = []
    }

    enum RecoveryError: Error, CustomStringConvertible {
        case file(FileError)
        case corrupt(path: String, offset: Int, reason: String)

        var description: String {
            switch self {
            case .file(let error): "\(error)"
            case .corrupt(let path, let offset, let reason): "\(path) is damaged at byte \(offset) (\(reason)) and newer log files follow it"
            }
        }
    }

    /// Reads the log in `directory`: transactions with a zxid above `after`, in order.
    static func recover(directory: String, after: Int64) throws(RecoveryError) -> Recovered {
        var recovered = Recovered()
        let files = StorageFiles.list(directory, prefix: "log.")
        // Files wholly at or below `after` are skipped: a file's records end where the next
        // file begins.
        let firstUseful = files.lastIndex { $0.zxid <= after + 1 } ?? 0
        var lastZxid = after
        for (index, file) in files.enumerated() where index >= firstUseful {
            let isNewest = index == files.count - 1
            let bytes: [UInt8]
            let handle: FileHandle
            do {
                handle = try FileHandle.open(file.path, flags: O_RDWR)
                bytes = try handle.readAll()
            } catch {
                throw .file(error)
            }
            if bytes.isEmpty { continue }  // created, nothing written yet
            var offset = StorageFiles.headerSize
            var damage: String?
            if !StorageFiles.hasHeader(bytes, magic: StorageFiles.logMagic) {
                damage = "no log header"
                offset = 0
            }
            while damage == nil, offset + 12 <= bytes.count {
                let checksum = UInt64(readUInt32(bytes, offset)) << 32 | UInt64(readUInt32(bytes, offset + 4))
                let length = Int(Int32(bitPattern: readUInt32(bytes, offset + 8)))
                if length == 0 && checksum == 0 { break }
                if length <= 0 || length > maxRecord || offset + framing + length > bytes.count {
                    damage = "record length \(length) does not fit"
                    break
                }
                let payload = bytes[(offset + 12)..<(offset + 12 + length)]
                if bytes[offset + 12 + length] != endOfRecord {
                    damage = "record not ended by 'B'"
                    break
                }
                if UInt64(Adler32.checksum(payload)) != checksum {
                    damage = "checksum mismatch"
                    break
                }
                var reader = ByteReader(payload)
                guard let txn = try? TxnCodec.decode(from: &reader), reader.isAtEnd else {
                    damage = "record does not decode"
                    break
                }
                if txn.zxid <= lastZxid && txn.zxid > after {
                    damage = "zxid \(txn.zxid) does not follow \(lastZxid)"
                    break
                }
                if txn.zxid > after {
                    recovered.txns.append(txn)
                    lastZxid = txn.zxid
                }
                offset += framing + length
            }
            if damage == nil && offset < bytes.count && offset + 12 > bytes.count && bytes[offset...].contains(where: { $0 != 0 }) {
                damage = "partial record header"
            }
            if let damage {
                guard isNewest else { throw .corrupt(path: file.path, offset: offset, reason: damage) }
                do {
                    try handle.truncate(to: max(offset, 0))
                    try handle.sync()
                } catch {
                    throw .file(error)
                }
                recovered.truncated.append((file.path, offset))
            }
        }
        return recovered
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
