import Dispatch
import Logging
import Synchronization

/// Starting as an ensemble member: the transport on this member's quorum and election ports, a
/// `QuorumNode` running the peer protocol, a `QuorumCommitter` as the processor's committer.
/// The processor starts `looking` and serves clients once a leader is established.
extension ZooKeeperNode {
    struct EnsembleParts {
        let committer: QuorumCommitter
        let node: QuorumNode
        let transport: QuorumTransport
        let store: QuorumFileStore

        /// After the committer closed (the node is stopped): peers and files go.
        func close() async {
            await transport.shutdown()
            let store = self.store
            node.queue.sync { try? store.close() }
        }
    }

    /// ZooKeeper's timing mapped onto the peer's ticks (a fortieth of `tickTime` each, 50 ms by
    /// default): a leader heartbeats every tenth of a tick; it steps down after `syncLimit`·0.6
    /// ticks without a majority; a follower that hears no leader for `syncLimit`·0.8–1.6 ticks
    /// gives it up (the lease is shorter, so an old leader that is merely cut off stops serving
    /// before that); one whose leader's connection closed, or that knows no leader, stands
    /// after 1–6 peer ticks (50–300 ms by default). `initLimit` is ZooKeeper's own: a new leader
    /// that has not synchronised a quorum within `initLimit` ticks steps down, and a follower
    /// waiting for its sync stands for election only after that long (at least the lease and
    /// election timeout, which a short initLimit must not undercut).
    static func quorumTiming(_ config: ZooKeeperConfig) -> (timing: QuorumTiming, tick: DispatchTimeInterval) {
        let sync = max(config.syncLimit ?? 5, 2)
        let initTicks = max((config.initLimit ?? 10) * 40, sync * 64)
        let timing = QuorumTiming(
            heartbeatTicks: 4, electionTicks: (sync * 32)...(sync * 64), retryTicks: 1...6, leaseTicks: sync * 24, initTicks: initTicks,
            syncRetryTicks: 16)
        return (timing, .milliseconds(max(config.tickTime / 40, 2)))
    }

    /// - Parameters:
    ///   - loop: the node's event loop, which the peer's queue and its connections target.
    ///   - processorFor: makes the processor over the recovered database (the newest
    ///     snapshot's state: the logged entries after it reach the processor as they commit).
    func startEnsemble(loop: DispatchQueue, processorFor: (QuorumCommitter, ZKDatabase) -> RequestProcessor) throws(StartError) -> (EnsembleParts, RequestProcessor) {
        let myId = config.myId
        guard let me = config.servers[myId] else {
            throw .membership("myid \(myId) names no server.\(myId) line")
        }
        let store: QuorumFileStore
        let contents: QuorumFileStore.Contents
        do {
            (store, contents) = try QuorumFileStore.open(
                dataDirectory: config.dataDir, dataLogDirectory: config.dataLogDir, preAllocSizeKB: config.preAllocSizeKB,
                extendedTypes: config.extendedTypesEnabled, forceSync: config.forceSync)
        } catch {
            throw .recovery("\(error)")
        }
        if !config.forceSync { logger.warning("forceSync=no: acknowledged writes can be lost if the machine fails") }
        for skipped in contents.skippedSnapshots { logger.warning("skipped an unreadable snapshot: \(skipped)") }
        for truncated in contents.truncated { logger.warning("truncated a torn transaction log tail: \(truncated)") }
        logger.info(
            "recovered the quorum log to \(contents.lastZxid) (snapshot \(contents.snapshot.map { "\($0.zxid)" } ?? "none"), \(contents.entries.count) entries after it), epochs \(contents.persistent.acceptedEpoch)/\(contents.persistent.currentEpoch)"
        )
        let transport: QuorumTransport
        do {
            transport = try QuorumTransport(
                id: PeerID(myId), host: me.host, quorumPort: UInt16(clamping: me.quorumPort), electionPort: UInt16(clamping: me.electionPort),
                targetQueue: loop)
        } catch {
            throw .network("cannot listen on the quorum and election ports \(me.host):\(me.quorumPort):\(me.electionPort): \(error)")
        }
        let members = config.servers.values.filter { !$0.isObserver }.map { PeerID($0.id) }
        var addresses: [PeerID: QuorumAddress] = [:]
        for server in config.servers.values {
            addresses[PeerID(server.id)] = QuorumAddress(
                host: server.host, quorumPort: UInt16(clamping: server.quorumPort), electionPort: UInt16(clamping: server.electionPort))
        }
        transport.connect(to: addresses)
        let (timing, tick) = Self.quorumTiming(config)
        let peer = QuorumPeer(
            id: PeerID(myId), members: members, timing: timing, persistent: contents.persistent, snapshot: contents.snapshot, log: contents.entries,
            seed: UInt64.random(in: 0...UInt64.max))
        let node = QuorumNode(peer: peer, store: store, targetQueue: loop) { to, frame in transport.send(to: to, frame: frame) }
        transport.deliver { from, body in node.receive(body: body, from: from) }
        transport.onPeerLost { lost in node.peerLost(lost) }
        let target = ProcessorRef()
        let logger = self.logger
        let committer = QuorumCommitter(
            node: node, apply: { txns in target.processor?.applyCommitted(txns) },
            onLostLeadership: { reason in logger.warning("stopped leading: \(reason)") })
        // Purging old files is autopurge's business, as in ZooKeeper: off unless it is on.
        let retain = config.autopurgePurgeInterval > 0 ? config.autopurgeSnapRetainCount : 0
        committer.enableSnapshots(QuorumCheckpointer(store: store, retain: retain, report: { logger.info("\($0)") }))
        let processor = processorFor(committer, contents.database)
        target.processor = processor
        processor.queue.sync { processor.changeMode(to: .looking) }
        processor.attach(link: committer)
        committer.attach(processor)
        node.start(tickEvery: tick)
        logger.info("ensemble member \(myId) of \(members.count): quorum port \(me.host):\(transport.port(.quorum)), election port \(transport.port(.election))")
        return (EnsembleParts(committer: committer, node: node, transport: transport, store: store), processor)
    }
}

/// The committer is made before the processor it feeds: this closes the loop.
final class ProcessorRef: Sendable {
    private let value = Mutex<RequestProcessor?>(nil)
    var processor: RequestProcessor? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
