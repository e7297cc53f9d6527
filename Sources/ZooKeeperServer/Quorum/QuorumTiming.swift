/// The protocol's clock, in ticks (the host ticks every node at a fixed interval, e.g. a tenth
/// of `tickTime`). Elections use a random timeout so that candidates rarely collide.
struct QuorumTiming: Sendable {
    /// How often a leader sends a heartbeat (an empty proposal).
    var heartbeatTicks = 1
    /// A follower that hears nothing from its leader for this long gives it up and stands for
    /// election (ZooKeeper's `syncLimit`: the leader may be frozen rather than gone).
    var electionTicks: ClosedRange<Int> = 10...20
    /// A node that knows no leader (it lost its leader's connection, its election failed, or it
    /// just started) stands again after this long: short, since nobody is leading, and random,
    /// so that two candidates rarely stand at once and split the votes.
    var retryTicks: ClosedRange<Int> = 2...6
    /// A leader that has not heard from a quorum within this many ticks steps down, so a
    /// leader cut off in a minority stops serving reads (ZooKeeper's `syncLimit`).
    var leaseTicks = 8
    /// ZooKeeper's `initLimit`: how long a new leader may take to synchronise a quorum (until
    /// then its lease is this long too, since a follower taking a SNAP is silent), after which
    /// it gives up and steps down; and how long a follower waiting for its sync holds back its
    /// own candidacy. Nil: no separate bound, the lease and election timeout cover it.
    var initTicks: Int? = nil
    /// How many of the newest committed entries keep their payloads in memory (`QuorumLog.trim`).
    var entriesInMemory = 500
    /// A follower asks again for a client's `sync` the leader has not answered this often.
    var syncRetryTicks = 4
}

/// SplitMix64: a small deterministic generator, so a node's behaviour is a function of its
/// inputs and its seed (the simulation replays a run from its seed).
struct QuorumRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
