/// Where a node keeps its `QuorumPersistentState`: `<dataDir>/version-2/quorumState`, a few
/// lines of text (`acceptedEpoch=7`, `currentEpoch=6`, `votedFor=2`), replaced atomically
/// (temporary file, fsync, rename, fsync of the directory) so a crash leaves the old state or
/// the new one, never a mix. One file rather than ZooKeeper's separate `acceptedEpoch` and
/// `currentEpoch` files because our vote must change together with the epoch.
///
/// The state machine asks for a write with each `persist` effect; the host writes it before
/// carrying out the next effect (above all before sending the vote it records).
enum QuorumStateFile {
    static let name = "quorumState"

    static func path(dataDirectory: String) -> String {
        dataDirectory + "/" + StorageFiles.versionDirectory + "/" + name
    }

    static func write(_ state: QuorumPersistentState, dataDirectory: String) throws(FileError) {
        var text = "acceptedEpoch=\(state.acceptedEpoch)\ncurrentEpoch=\(state.currentEpoch)\n"
        if let vote = state.votedFor { text += "votedFor=\(vote)\n" }
        try FileSystem.createDirectories(dataDirectory + "/" + StorageFiles.versionDirectory)
        try FileSystem.writeAtomically(Array(text.utf8), to: path(dataDirectory: dataDirectory))
    }

    enum ReadError: Error, Equatable {
        case file(FileError)
        /// The file exists but does not say a valid state: refuse to start rather than guess
        /// (a guessed epoch or vote could elect two leaders).
        case damaged(String)
    }

    /// The stored state; a node that never stored one starts from epoch 0 with no vote.
    static func read(dataDirectory: String) throws(ReadError) -> QuorumPersistentState {
        let path = path(dataDirectory: dataDirectory)
        guard FileSystem.exists(path) else { return QuorumPersistentState() }
        let text: String
        do throws(FileError) {
            text = try FileSystem.readText(path)
        } catch {
            throw .file(error)
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.isEmpty {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw .damaged("line '\(line)'") }
            values[String(parts[0])] = String(parts[1])
        }
        guard let accepted = values["acceptedEpoch"].flatMap(UInt32.init), let current = values["currentEpoch"].flatMap(UInt32.init),
            current <= accepted
        else { throw .damaged("epochs in '\(text)'") }
        var state = QuorumPersistentState(acceptedEpoch: accepted, votedFor: nil, currentEpoch: current)
        if let vote = values["votedFor"] {
            guard let id = Int64(vote) else { throw .damaged("vote '\(vote)'") }
            state.votedFor = id
        }
        return state
    }
}
