/// Messages to peers, held until the node's current burst of work is done, in the order they
/// were made, merging what a receiver would treat the same as the sequence:
///
/// - a proposal (or heartbeat) that continues the previous one to the same peer — its
///   `prevZxid` is where that one's entries end, same epoch — joins it: one message with both
///   entry lists and the later commit and durable points;
/// - an acknowledgement right after another of the same epoch replaces it (they are
///   cumulative: the later zxid says all the earlier one did).
///
/// Everything else, and anything between, keeps its place.
struct Outbox {
    private var queued: [(to: PeerID, message: QuorumMessage)] = []
    /// Per peer: where its last queued message is, for merging.
    private var lastIndex: [PeerID: Int] = [:]

    var isEmpty: Bool { queued.isEmpty }

    mutating func add(_ message: QuorumMessage, to peer: PeerID) {
        if let index = lastIndex[peer], let merged = Self.merge(queued[index].message, message) {
            queued[index].message = merged
            return
        }
        lastIndex[peer] = queued.count
        queued.append((to: peer, message: message))
    }

    /// The messages to send, in order; the outbox is empty after.
    mutating func take() -> [(to: PeerID, message: QuorumMessage)] {
        defer {
            queued = []
            lastIndex = [:]
        }
        return queued
    }

    /// The one message equivalent to `first` then `second`, if there is one.
    static func merge(_ first: QuorumMessage, _ second: QuorumMessage) -> QuorumMessage? {
        switch (first, second) {
        case (.propose(let epoch, let prev, let entries, let commit, let durable), .propose(let nextEpoch, let nextPrev, let more, let nextCommit, let nextDurable)):
            guard epoch == nextEpoch, nextPrev == (entries.last?.zxid ?? prev) else { return nil }
            return .propose(
                epoch: epoch, prevZxid: prev, entries: entries + more, commitZxid: max(commit, nextCommit),
                durableZxid: max(durable, nextDurable))
        case (.ack(let epoch, let zxid), .ack(let nextEpoch, let nextZxid)):
            guard epoch == nextEpoch else { return nil }
            return .ack(epoch: epoch, zxid: max(zxid, nextZxid))
        default:
            return nil
        }
    }
}
