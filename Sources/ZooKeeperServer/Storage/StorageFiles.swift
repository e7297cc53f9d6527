/// File names and headers shared by the transaction log and snapshots.
///
/// Names are ZooKeeper's: `version-2/log.<zxid>` is named by the first zxid it holds,
/// `version-2/snapshot.<zxid>` by the last zxid it includes, both in lower-case hex without
/// padding. Every file opens with ZooKeeper's `FileHeader`: a magic int ("ZKLG" for logs,
/// "ZKSN" for snapshots), the format version (2) and a database id (0 in logs, -1 in
/// snapshots, as ZooKeeper writes them). The contents after it are ZooKeeper's too (see
/// `TxnLogFile` and `SnapshotFile`).
enum StorageFiles {
    static let versionDirectory = "version-2"
    static let logMagic: Int32 = 0x5A4B_4C47  // "ZKLG"
    static let snapshotMagic: Int32 = 0x5A4B_534E  // "ZKSN"
    static let formatVersion: Int32 = 2
    static let headerSize = 16

    static func header(magic: Int32, dbid: Int64 = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in [UInt32(bitPattern: magic), UInt32(bitPattern: formatVersion)] {
            bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
        }
        let id = UInt64(bitPattern: dbid)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: id >> UInt64(shift))) }
        return bytes
    }

    static func hasHeader(_ bytes: [UInt8], magic: Int32) -> Bool {
        bytes.count >= headerSize && Array(bytes.prefix(8)) == Array(header(magic: magic).prefix(8))
    }

    static func logName(_ zxid: Int64) -> String { "log." + String(UInt64(bitPattern: zxid), radix: 16) }
    static func snapshotName(_ zxid: Int64) -> String { "snapshot." + String(UInt64(bitPattern: zxid), radix: 16) }

    /// The zxid in a file name with `prefix` ("log." or "snapshot."), or nil for other files.
    static func zxid(of name: String, prefix: String) -> Int64? {
        guard name.hasPrefix(prefix), let value = UInt64(name.dropFirst(prefix.count), radix: 16) else { return nil }
        return Int64(bitPattern: value)
    }

    /// Files of one kind in `directory`, oldest first.
    static func list(_ directory: String, prefix: String) -> [(zxid: Int64, path: String)] {
        guard let names = try? FileSystem.list(directory) else { return [] }
        return names.compactMap { name in zxid(of: name, prefix: prefix).map { ($0, directory + "/" + name) } }
            .sorted { $0.zxid < $1.zxid }
    }
}
