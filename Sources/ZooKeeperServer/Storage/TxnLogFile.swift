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
        try append([(payload: payload, zxid: zxid)])
    }

    /// Appends encoded transactions in order with one write (not yet durable).
    func append(_ records: [(payload: [UInt8], zxid: Int64)]) throws(FileError) {
        guard let first = records.first else { return }
        if current == nil { try open(firstZxid: first.zxid) }
        guard let file = current else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.reduce(0) { $0 + $1.payload.count + Self.framing })
        for (payload, _) in records {
            let checksum = UInt64(Adler32.checksum(payload))
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: checksum >> UInt64(shift))) }
            let length = UInt32(truncatingIfNeeded: payload.count)
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
            bytes += payload
            bytes.append(Self.endOfRecord)
        }
        if position + bytes.count > allocated {
            let target = (position + bytes.count + preallocationStep) / preallocationStep * preallocationStep
            try file.preallocate(to: target)
            allocated = target
        }
        try file.write(bytes, at: position)
        position += bytes.count
    }

    /// The open file, for an fsync off the writer's queue (`QuorumStore.syncer`).
    var currentFile: FileHandle? { current }

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
        /// The stored bytes of each of `txns`, when asked for (the quorum replicates them).
        var payloads: [[UInt8]] = []
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
    static func recover(directory: String, after: Int64, keepPayloads: Bool = false) throws(RecoveryError) -> Recovered {
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
            let scan = TxnLogScan(bytes, after: after, previous: lastZxid)
            for record in scan.records {
                recovered.txns.append(record.txn)
                if keepPayloads { recovered.payloads.append(Array(record.payload)) }
            }
            lastZxid = scan.records.last?.txn.zxid ?? lastZxid
            if let damage = scan.damage {
                guard isNewest else { throw .corrupt(path: file.path, offset: scan.end, reason: damage) }
                do {
                    try handle.truncate(to: scan.end)
                    try handle.sync()
                } catch {
                    throw .file(error)
                }
                recovered.truncated.append((file.path, scan.end))
            }
        }
        return recovered
    }
}
