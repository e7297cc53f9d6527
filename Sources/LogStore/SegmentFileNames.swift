/// Kafka's file names in a partition directory.
///
/// A segment is named by its base offset as 20 decimal digits: `00000000000000000000.log`
/// beside `.index` and `.timeindex` of the same name. Suffixes mark files in transit:
/// `.deleted` (waiting out `file.delete.delay.ms`), `.cleaned` (a compacted segment being
/// written), `.swap` (a compacted segment about to replace the original), `.tmp` (a checkpoint
/// being written).
enum SegmentFileNames {
    static let logSuffix = ".log"
    static let indexSuffix = ".index"
    static let timeIndexSuffix = ".timeindex"
    static let deletedSuffix = ".deleted"
    static let cleanedSuffix = ".cleaned"
    static let swapSuffix = ".swap"

    static let leaderEpochCheckpoint = "leader-epoch-checkpoint"
    static let partitionMetadata = "partition.metadata"

    /// The base offset as 20 digits, zero-padded.
    static func offsetName(_ offset: Int64) -> String {
        let digits = String(max(0, offset))
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    static func logPath(_ directory: String, _ base: Int64) -> String { "\(directory)/\(offsetName(base))\(logSuffix)" }
    static func indexPath(_ directory: String, _ base: Int64) -> String { "\(directory)/\(offsetName(base))\(indexSuffix)" }
    static func timeIndexPath(_ directory: String, _ base: Int64) -> String { "\(directory)/\(offsetName(base))\(timeIndexSuffix)" }

    /// The base offset a file name starts with, if it is 20 digits then a known suffix.
    static func baseOffset(ofFile name: String, suffix: String) -> Int64? {
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(stem)
    }
}
