/// ZooKeeper's four-letter words (`FourLetterCommands`): commands sent unframed as the first
/// four bytes of a connection on the client port, answered in plain text before the
/// connection closes (NOTES.md §9).
///
/// A word is recognised by its four ASCII bytes read as a big-endian int32, exactly where a
/// frame size would be; every word is far above `jute.maxbuffer`, so the two never collide.
enum FourLetterWord: String, CaseIterable, Sendable {
    case conf, cons, crst, dirs, dump, envi, gtmk, ruok, stmk, srvr, srst, stat, wchs, wchc, wchp, mntr, isro, hash

    /// The word as the int32 a frame size would be read as.
    var code: UInt32 {
        rawValue.utf8.reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static let byCode: [UInt32: FourLetterWord] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.code, $0) })

    init?(code: UInt32) {
        guard let word = Self.byCode[code] else { return nil }
        self = word
    }

    /// ZooKeeper's answer to a word left out of `4lw.commands.whitelist`.
    var notWhitelistedAnswer: String {
        "\(rawValue) is not executed because it is not in the whitelist.\n"
    }
}
