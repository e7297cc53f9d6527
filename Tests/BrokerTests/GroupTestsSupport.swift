import Dispatch
import Foundation
import KafkaProtocol
import LogStore
import Synchronization
import Testing
import Wire

@testable import Broker

/// `__consumer_offsets` in memory: partitions of records, an optional failure for appends.
final class MemoryGroupLog: GroupLog {
    struct State {
        var created: Bool
        var partitions: Int
        var records: [Int32: [GroupLogRecord]] = [:]
        var failAppends: ErrorCode? = nil
    }

    let state: Mutex<State>

    init(partitions: Int = 4, created: Bool = false) {
        state = Mutex(State(created: created, partitions: partitions))
    }

    func layout() -> (partitionCount: Int, local: [Int32])? {
        state.withLock { s in s.created ? (s.partitions, (0..<Int32(s.partitions)).map { $0 }) : nil }
    }

    func createTopic() -> Result<(partitionCount: Int, local: [Int32]), GroupLogError> {
        state.withLock { $0.created = true }
        return .success(layout() ?? (0, []))
    }

    func append(partition: Int32, records: [GroupLogRecord], timestamp: Int64) -> Result<Void, GroupLogError> {
        state.withLock { s in
            if let code = s.failAppends { return .failure(GroupLogError(code: code, message: "injected")) }
            s.records[partition, default: []].append(contentsOf: records)
            return .success(())
        }
    }

    func read(partition: Int32, _ visit: (GroupLogRecord) -> Void) -> Result<Int, GroupLogError> {
        for record in state.withLock({ $0.records[partition] ?? [] }) { visit(record) }
        return .success(0)
    }

    var allRecords: [GroupLogRecord] { state.withLock { s in s.records.keys.sorted().flatMap { s.records[$0] ?? [] } } }
}

/// A log whose reads wait until `open()`: a coordinator still loading its partitions.
final class GatedGroupLog: GroupLog {
    let inner: MemoryGroupLog
    let gate = DispatchSemaphore(value: 0)

    init(_ inner: MemoryGroupLog) { self.inner = inner }

    func open() { gate.signal() }
    func layout() -> (partitionCount: Int, local: [Int32])? { inner.layout() }
    func createTopic() -> Result<(partitionCount: Int, local: [Int32]), GroupLogError> { inner.createTopic() }
    func append(partition: Int32, records: [GroupLogRecord], timestamp: Int64) -> Result<Void, GroupLogError> {
        inner.append(partition: partition, records: records, timestamp: timestamp)
    }
    func read(partition: Int32, _ visit: (GroupLogRecord) -> Void) -> Result<Int, GroupLogError> {
        // The first read waits for the gate, then lets the rest through.
        gate.wait()
        gate.signal()
        return inner.read(partition: partition, visit)
    }
}

/// A value delivered later by a callback, waited for with a deadline.
final class Later<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)

    func set(_ v: T) { value.withLock { $0 = v } }
    var peek: T? { value.withLock { $0 } }

    func wait(_ seconds: Double = 5) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let v = peek { return v }
            Thread.sleep(forTimeInterval: 0.002)
        }
        throw WaitTimeout(what: "\(T.self)")
    }
}

struct WaitTimeout: Error { var what: String }

/// A coordinator on a memory log with short timeouts, and one-line calls for tests.
struct GroupHarness {
    let log: MemoryGroupLog
    let coordinator: GroupCoordinator

    static func config(_ change: (inout GroupConfig) -> Void = { _ in }) -> GroupConfig {
        var c = GroupConfig()
        c.minSessionTimeoutMs = 10
        c.initialRebalanceDelayMs = 0
        c.offsetsTopicPartitions = 4
        change(&c)
        return c
    }

    init(config: GroupConfig = GroupHarness.config(), log: MemoryGroupLog = MemoryGroupLog()) throws {
        self.log = log
        coordinator = GroupCoordinator(config: config, log: log)
        coordinator.startup()
        let found = Later<[ErrorCode]>()
        coordinator.findCoordinator(["any"]) { found.set($0) }
        _ = try found.wait()
        // Partitions that held records load in the background.
        let deadline = Date().addingTimeInterval(5)
        while coordinator.core.withLock({ $0.partitions.values.contains(.loading) }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    static func subscription(_ topics: [String]) -> [UInt8] {
        var w = ByteWriter()
        w.writeInt16(0)
        try? ConsumerProtocolSubscription(topics: topics).encode(into: &w, version: 0)
        return w.bytes
    }

    func join(
        _ group: String, member: String = "", instance: String? = nil, protocols: [(String, [UInt8])] = [("range", [1])],
        type: String = "consumer", session: Int32 = 10_000, rebalance: Int32 = 10_000, requireKnown: Bool = false,
        client: String = "client"
    ) -> Later<JoinResult> {
        let result = Later<JoinResult>()
        coordinator.joinGroup(JoinRequest(
            groupId: group, memberId: member, groupInstanceId: instance, requireKnownMemberId: requireKnown,
            supportSkippingAssignment: false, clientId: client, clientHost: "/127.0.0.1", rebalanceTimeoutMs: rebalance,
            sessionTimeoutMs: session, protocolType: type, protocols: protocols.map { MemberProtocol(name: $0.0, metadata: $0.1) },
            reason: nil)) { result.set($0) }
        return result
    }

    func sync(_ group: String, member: String, generation: Int32, instance: String? = nil, assignments: [String: [UInt8]] = [:]) -> Later<SyncResult> {
        let result = Later<SyncResult>()
        coordinator.syncGroup(SyncRequest(
            groupId: group, generationId: generation, memberId: member, groupInstanceId: instance, protocolType: nil,
            protocolName: nil, assignments: assignments)) { result.set($0) }
        return result
    }

    func heartbeat(_ group: String, member: String, generation: Int32, instance: String? = nil) throws -> ErrorCode {
        let result = Later<ErrorCode>()
        coordinator.heartbeat(groupId: group, memberId: member, groupInstanceId: instance, generationId: generation) { result.set($0) }
        return try result.wait()
    }

    func leave(_ group: String, members: [LeavingMember]) throws -> (ErrorCode, [ErrorCode]) {
        let result = Later<(ErrorCode, [ErrorCode])>()
        coordinator.leaveGroup(groupId: group, members: members) { result.set(($0, $1)) }
        return try result.wait()
    }

    func commit(_ group: String, member: String = "", generation: Int32 = -1, _ offsets: [(String, Int32, Int64)]) throws -> [ErrorCode] {
        let result = Later<[TopicPartition: ErrorCode]>()
        let list = offsets.map { (TopicPartition(topic: $0.0, partition: $0.1), CommittedOffset(offset: $0.2, commitTimestamp: 1)) }
        coordinator.commitOffsets(groupId: group, memberId: member, groupInstanceId: nil, generationId: generation, offsets: list) {
            result.set($0)
        }
        let errors = try result.wait()
        return list.map { errors[$0.0] ?? .unknownServerError }
    }

    func fetch(_ group: String, _ partitions: [(String, Int32)]?) throws -> (ErrorCode, [Int64]) {
        let result = Later<[(ErrorCode, [FetchedOffset])]>()
        coordinator.fetchOffsets([(groupId: group, partitions: partitions?.map { TopicPartition(topic: $0.0, partition: $0.1) })]) {
            result.set($0)
        }
        let (error, offsets) = try result.wait().first ?? (.unknownServerError, [])
        return (error, offsets.map { $0.offset?.offset ?? -1 })
    }

    func describe(_ group: String) throws -> (ErrorCode, GroupSummary) {
        let result = Later<[(ErrorCode, GroupSummary)]>()
        coordinator.describeGroups([group]) { result.set($0) }
        return try result.wait().first ?? (.unknownServerError, .dead)
    }

    func state(_ group: String) -> GroupState? {
        coordinator.drain()
        return coordinator.core.withLock { $0.groups[group]?.state }
    }

    /// A member through the whole first rebalance: join (with MEMBER_ID_REQUIRED) and sync.
    func joinAndSync(_ group: String, assignment: [UInt8] = [9]) throws -> (memberId: String, generation: Int32) {
        let first = try join(group, requireKnown: true).wait()
        #expect(first.error == .memberIdRequired)
        let joined = try join(group, member: first.memberId, requireKnown: true).wait()
        #expect(joined.error == .noError)
        let synced = try sync(group, member: joined.memberId, generation: joined.generationId,
                              assignments: [joined.memberId: assignment]).wait()
        #expect(synced.error == .noError)
        return (joined.memberId, joined.generationId)
    }
}
