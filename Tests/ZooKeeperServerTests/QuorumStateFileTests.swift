import Testing

@testable import ZooKeeperServer

@Suite struct QuorumStateFileTests {
    @Test func theStateSurvivesAWriteAndRead() throws {
        let directory = ZKTempDir("quorum-state")
        defer { directory.remove() }
        #expect(try QuorumStateFile.read(dataDirectory: directory.path) == QuorumPersistentState())
        let voted = QuorumPersistentState(acceptedEpoch: 7, votedFor: 2, currentEpoch: 6)
        try QuorumStateFile.write(voted, dataDirectory: directory.path)
        #expect(try QuorumStateFile.read(dataDirectory: directory.path) == voted)
        let noVote = QuorumPersistentState(acceptedEpoch: 8, votedFor: nil, currentEpoch: 8)
        try QuorumStateFile.write(noVote, dataDirectory: directory.path)
        #expect(try QuorumStateFile.read(dataDirectory: directory.path) == noVote)
        #expect(directory.names(in: directory.file("version-2")) == ["quorumState"])
    }

    @Test(arguments: ["acceptedEpoch=3\n", "acceptedEpoch=3\ncurrentEpoch=4\n", "acceptedEpoch=x\ncurrentEpoch=1\n", "acceptedEpoch=3\ncurrentEpoch=1\nvotedFor=\n", "garbage"])
    func aDamagedFileStopsTheNodeRatherThanGuessing(text: String) throws {
        let directory = ZKTempDir("quorum-state")
        defer { directory.remove() }
        try QuorumStateFile.write(QuorumPersistentState(), dataDirectory: directory.path)
        directory.write(Array(text.utf8), to: QuorumStateFile.path(dataDirectory: directory.path))
        #expect(throws: QuorumStateFile.ReadError.self) { try QuorumStateFile.read(dataDirectory: directory.path) }
    }
}
