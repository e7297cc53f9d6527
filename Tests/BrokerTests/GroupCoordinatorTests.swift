import Foundation
import KafkaProtocol
import LogStore
import Synchronization
import Testing

@testable import Broker

/// The classic rebalance protocol, driven through the coordinator's own entry points.
@Suite struct GroupCoordinatorTests {
    @Test func firstJoinNeedsAMemberIdThenLeadsAndSyncs() throws {
        let h = try GroupHarness()
        let first = try h.join("g", requireKnown: true, client: "app").wait()
        #expect(first.error == .memberIdRequired)
        #expect(first.memberId.hasPrefix("app-") && first.memberId.count == "app-".count + 36)
        let joined = try h.join("g", member: first.memberId, protocols: [("range", [7])], requireKnown: true).wait()
        #expect(joined.error == .noError)
        #expect(joined.generationId == 1 && joined.leaderId == first.memberId && joined.protocolName == "range")
        #expect(joined.members == [.init(memberId: first.memberId, groupInstanceId: nil, metadata: [7])])
        #expect(h.state("g") == .completingRebalance)
        let synced = try h.sync("g", member: first.memberId, generation: 1, assignments: [first.memberId: [1, 2]]).wait()
        #expect(synced.error == .noError && synced.assignment == [1, 2] && synced.protocolName == "range")
        #expect(h.state("g") == .stable)
        #expect(try h.heartbeat("g", member: first.memberId, generation: 1) == .noError)
        #expect(try h.heartbeat("g", member: first.memberId, generation: 0) == .illegalGeneration)
        #expect(try h.heartbeat("g", member: "nobody", generation: 1) == .unknownMemberId)
        // The group's metadata record is in the log.
        #expect(h.log.allRecords.contains { (try? GroupRecordKey.decode($0.key)) == .groupMetadata(group: "g") })
    }

    @Test func invalidSessionTimeoutAndGroupId() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.minSessionTimeoutMs = 6000; $0.maxSessionTimeoutMs = 7000 })
        #expect(try h.join("g", session: 5999).wait().error == .invalidSessionTimeout)
        #expect(try h.join("g", session: 7001).wait().error == .invalidSessionTimeout)
        #expect(try h.join("", session: 6000).wait().error == .invalidGroupId)
        #expect(try h.join("g", member: "ghost", session: 6000).wait().error == .unknownMemberId)
    }

    @Test func protocolTypeAndProtocolsMustBeCompatible() throws {
        let h = try GroupHarness()
        let a = h.join("g", protocols: [("range", [1]), ("roundrobin", [2])])
        let a1 = try a.wait()
        #expect(a1.error == .noError)
        #expect(try h.join("g", type: "connect").wait().error == .inconsistentGroupProtocol)
        #expect(try h.join("g", protocols: [("sticky", [1])]).wait().error == .inconsistentGroupProtocol)
        #expect(try h.join("g", type: "").wait().error == .inconsistentGroupProtocol)
    }

    @Test func theProtocolWithMostFirstChoicesWins() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.initialRebalanceDelayMs = 200 })
        // Every member supports range and roundrobin; two prefer roundrobin.
        let a = h.join("g", protocols: [("range", [1]), ("roundrobin", [1])])
        let b = h.join("g", protocols: [("roundrobin", [2]), ("range", [2]), ("sticky", [2])])
        let c = h.join("g", protocols: [("roundrobin", [3]), ("range", [3])])
        let results = try [a.wait(), b.wait(), c.wait()]
        #expect(Set(results.map(\.protocolName)) == ["roundrobin"])
        #expect(Set(results.map(\.generationId)) == [1])
        let leader = try #require(results.first { !$0.members.isEmpty })
        #expect(leader.members.count == 3 && leader.memberId == leader.leaderId)
        #expect(Set(leader.members.map(\.metadata)) == [[1], [2], [3]])
        #expect(results.filter { $0.members.isEmpty }.count == 2)
    }

    @Test func followersWaitForTheLeadersAssignment() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.initialRebalanceDelayMs = 100 })
        let a = h.join("g"), b = h.join("g")
        let ra = try a.wait(), rb = try b.wait()
        let (leader, follower) = ra.leaderId == ra.memberId ? (ra, rb) : (rb, ra)
        let parked = h.sync("g", member: follower.memberId, generation: 1)
        h.coordinator.drain()
        #expect(parked.peek == nil)
        #expect(try h.heartbeat("g", member: follower.memberId, generation: 1) == .noError)
        let done = try h.sync("g", member: leader.memberId, generation: 1,
                              assignments: [leader.memberId: [1], follower.memberId: [2]]).wait()
        #expect(done.assignment == [1])
        #expect(try parked.wait().assignment == [2])
        // A SyncGroup in Stable answers the current assignment at once.
        #expect(try h.sync("g", member: follower.memberId, generation: 1).wait().assignment == [2])
    }

    @Test func rejoiningLeaderRebalancesAndHeartbeatsSayRebalanceInProgress() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.initialRebalanceDelayMs = 100 })
        let a = h.join("g", session: 2000), b = h.join("g", session: 2000)
        let ra = try a.wait(), rb = try b.wait()
        let (leader, follower) = ra.leaderId == ra.memberId ? (ra, rb) : (rb, ra)
        let fs = h.sync("g", member: follower.memberId, generation: 1)
        _ = try h.sync("g", member: leader.memberId, generation: 1).wait()
        _ = try fs.wait()
        let rejoin = h.join("g", member: leader.memberId, session: 2000)
        h.coordinator.drain()
        #expect(h.state("g") == .preparingRebalance)
        #expect(try h.heartbeat("g", member: follower.memberId, generation: 1) == .rebalanceInProgress)
        // Commits of the old generation still count during the join phase.
        #expect(try h.commit("g", member: follower.memberId, generation: 1, [("t", 0, 5)]) == [.noError])
        #expect(try h.sync("g", member: follower.memberId, generation: 1).wait().error == .rebalanceInProgress)
        let frejoin = try h.join("g", member: follower.memberId, session: 2000).wait()
        let lrejoin = try rejoin.wait()
        #expect(frejoin.generationId == 2 && lrejoin.generationId == 2)
        #expect(lrejoin.members.count == 2)
        // Generation 2 is completing: commits wait for the assignment.
        #expect(try h.commit("g", member: follower.memberId, generation: 2, [("t", 0, 6)]) == [.rebalanceInProgress])
    }

    @Test func membersThatStopHeartbeatingAreEvicted() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.initialRebalanceDelayMs = 50 })
        let a = h.join("g", session: 300), b = h.join("g", session: 300)
        let ra = try a.wait(), rb = try b.wait()
        let (leader, follower) = ra.leaderId == ra.memberId ? (ra, rb) : (rb, ra)
        let fs = h.sync("g", member: follower.memberId, generation: 1)
        _ = try h.sync("g", member: leader.memberId, generation: 1).wait()
        _ = try fs.wait()
        // Only the leader keeps heartbeating; the follower's session lapses.
        var rejoinNeeded = false
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            let e = try h.heartbeat("g", member: leader.memberId, generation: 1)
            if e == .rebalanceInProgress { rejoinNeeded = true; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(rejoinNeeded)
        let again = try h.join("g", member: leader.memberId, session: 300).wait()
        #expect(again.generationId == 2 && again.members.map(\.memberId) == [leader.memberId])
        #expect(try h.heartbeat("g", member: follower.memberId, generation: 1) == .unknownMemberId)
    }

    @Test func membersThatDoNotRejoinWithinTheRebalanceTimeoutAreRemoved() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.initialRebalanceDelayMs = 50 })
        let a = h.join("g", session: 5000, rebalance: 300), b = h.join("g", session: 5000, rebalance: 300)
        let ra = try a.wait(), rb = try b.wait()
        let (leader, follower) = ra.leaderId == ra.memberId ? (ra, rb) : (rb, ra)
        let fs = h.sync("g", member: follower.memberId, generation: 1)
        _ = try h.sync("g", member: leader.memberId, generation: 1).wait()
        _ = try fs.wait()
        let started = Date()
        let rejoin = try h.join("g", member: leader.memberId, session: 5000, rebalance: 300).wait()
        #expect(Date().timeIntervalSince(started) >= 0.25)
        #expect(rejoin.generationId == 2 && rejoin.members.map(\.memberId) == [leader.memberId])
    }

    @Test func membersThatNeverSyncAreRemoved() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.initialRebalanceDelayMs = 50 })
        let a = h.join("g", session: 5000, rebalance: 300), b = h.join("g", session: 5000, rebalance: 300)
        let ra = try a.wait(), rb = try b.wait()
        let (leader, follower) = ra.leaderId == ra.memberId ? (ra, rb) : (rb, ra)
        _ = try h.sync("g", member: leader.memberId, generation: 1).wait()
        // The follower never sends SyncGroup: after the rebalance timeout it is dropped.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try h.heartbeat("g", member: follower.memberId, generation: 1) == .unknownMemberId)
        #expect(try h.heartbeat("g", member: leader.memberId, generation: 1) == .rebalanceInProgress)
    }

    @Test func initialDelayGathersMembersIntoOneGeneration() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.initialRebalanceDelayMs = 300 })
        let started = Date()
        let a = h.join("g")
        Thread.sleep(forTimeInterval: 0.15)
        let b = h.join("g")
        let ra = try a.wait(), rb = try b.wait()
        // b joined during the delay, which then ran once more.
        #expect(Date().timeIntervalSince(started) >= 0.55)
        #expect(ra.generationId == 1 && rb.generationId == 1)
    }

    @Test func leaveGroupBatchesAndEmptiesTheGroup() throws {
        let h = try GroupHarness()
        let (member, generation) = try h.joinAndSync("g")
        let (top, each) = try h.leave("g", members: [.init(memberId: member), .init(memberId: "ghost"), .init(memberId: "", groupInstanceId: "nope")])
        #expect(top == .noError && each == [.noError, .unknownMemberId, .unknownMemberId])
        #expect(h.state("g") == .empty)
        #expect(try h.heartbeat("g", member: member, generation: generation) == .unknownMemberId)
        #expect(try h.leave("nogroup", members: [.init(memberId: "x")]).1 == [.unknownMemberId])
        // The empty generation is stored too.
        let records = h.log.allRecords.compactMap { r -> GroupMetadataRecord? in r.value.flatMap { try? GroupMetadataRecord.decode($0) } }
        #expect(records.last?.members == [] && records.last?.generation == 2)
    }

    @Test func pendingMemberIdsExpire() throws {
        let h = try GroupHarness()
        let first = try h.join("g", session: 100, requireKnown: true).wait()
        #expect(first.error == .memberIdRequired)
        Thread.sleep(forTimeInterval: 0.3)
        // The pending id was forgotten: joining with it now is an unknown member.
        #expect(try h.join("g", member: first.memberId, session: 100, requireKnown: true).wait().error == .unknownMemberId)
    }

    @Test func staticMemberRestartsWithoutARebalance() throws {
        let h = try GroupHarness()
        let joined = try h.join("g", instance: "i-1", session: 5000).wait()
        #expect(joined.error == .noError && joined.memberId.hasPrefix("i-1-"))
        _ = try h.sync("g", member: joined.memberId, generation: 1, instance: "i-1", assignments: [joined.memberId: [4]]).wait()
        // The same instance comes back with no member id (a restart): same generation, its
        // assignment kept, no rebalance; the old id is fenced.
        let back = try h.join("g", instance: "i-1", session: 5000).wait()
        #expect(back.error == .noError && back.generationId == 1 && back.memberId != joined.memberId)
        #expect(back.leaderId == joined.memberId && back.members.isEmpty)
        #expect(h.state("g") == .stable)
        #expect(try h.sync("g", member: back.memberId, generation: 1, instance: "i-1").wait().assignment == [4])
        #expect(try h.heartbeat("g", member: joined.memberId, generation: 1, instance: "i-1") == .fencedInstanceId)
        #expect(try h.heartbeat("g", member: back.memberId, generation: 1, instance: "i-1") == .noError)
        #expect(try h.join("g", member: joined.memberId, instance: "i-1", session: 5000).wait().error == .fencedInstanceId)
        // Removing a static member by its instance id, as the admin client does.
        #expect(try h.leave("g", members: [.init(memberId: "", groupInstanceId: "i-1")]).1 == [.noError])
        #expect(h.state("g") == .empty)
    }

    @Test func staticMemberWithOtherProtocolsTriggersARebalance() throws {
        let h = try GroupHarness()
        let joined = try h.join("g", instance: "i-1", protocols: [("range", [1])]).wait()
        _ = try h.sync("g", member: joined.memberId, generation: 1, instance: "i-1").wait()
        // A protocol no current member offers is refused before anything changes.
        #expect(try h.join("g", instance: "i-1", protocols: [("roundrobin", [1])]).wait().error == .inconsistentGroupProtocol)
        // One the group can use, but preferred differently, changes the choice: rebalance.
        let back = try h.join("g", instance: "i-1", protocols: [("roundrobin", [1]), ("range", [1])]).wait()
        #expect(back.error == .noError && back.generationId == 2 && back.protocolName == "roundrobin")
    }

    @Test func simpleCommitsAndMemberCommits() throws {
        let h = try GroupHarness()
        // No group yet: generation -1 creates a simple group; a generation does not.
        #expect(try h.commit("simple", [("t", 0, 10), ("t", 1, 20)]) == [.noError, .noError])
        #expect(try h.commit("unknown", member: "m", generation: 3, [("t", 0, 1)]) == [.illegalGeneration])
        #expect(try h.fetch("simple", [("t", 0), ("t", 1), ("t", 2)]) == (.noError, [10, 20, -1]))
        #expect(try h.fetch("simple", nil).1 == [10, 20])
        #expect(try h.fetch("nobody", [("t", 0)]) == (.noError, [-1]))
        let (member, generation) = try h.joinAndSync("g")
        #expect(try h.commit("g", member: member, generation: generation, [("t", 0, 3)]) == [.noError])
        #expect(try h.commit("g", member: member, generation: generation + 1, [("t", 0, 4)]) == [.illegalGeneration])
        #expect(try h.commit("g", member: "other", generation: generation, [("t", 0, 4)]) == [.unknownMemberId])
        // Without a member, a group with members refuses commits.
        #expect(try h.commit("g", [("t", 0, 4)]) == [.unknownMemberId])
        #expect(try h.fetch("g", [("t", 0)]).1 == [3])
        h.log.state.withLock { $0.failAppends = .notLeaderOrFollower }
        #expect(try h.commit("g", member: member, generation: generation, [("t", 0, 5)]) == [.notCoordinator])
        #expect(try h.fetch("g", [("t", 0)]).1 == [3])
    }

    @Test func tooLargeMetadataIsRefused() throws {
        let h = try GroupHarness(config: GroupHarness.config { $0.offsetMetadataMaxBytes = 4 })
        let result = Later<[TopicPartition: ErrorCode]>()
        h.coordinator.commitOffsets(groupId: "s", memberId: "", groupInstanceId: nil, generationId: -1, offsets: [
            (TopicPartition(topic: "t", partition: 0), CommittedOffset(offset: 1, metadata: "12345", commitTimestamp: 1)),
            (TopicPartition(topic: "t", partition: 1), CommittedOffset(offset: 1, metadata: "1234", commitTimestamp: 1)),
        ]) { result.set($0) }
        let errors = try result.wait()
        #expect(errors[TopicPartition(topic: "t", partition: 0)] == .offsetMetadataTooLarge)
        #expect(errors[TopicPartition(topic: "t", partition: 1)] == .noError)
    }

    @Test func stateSurvivesARestartFromTheLog() throws {
        let h = try GroupHarness()
        let (member, generation) = try h.joinAndSync("g", assignment: [5, 5])
        #expect(try h.commit("g", member: member, generation: generation, [("t", 0, 42), ("t", 1, 7)]) == [.noError, .noError])
        #expect(try h.commit("s", [("u", 0, 1)]) == [.noError])
        #expect(try h.commit("gone", [("u", 0, 1)]) == [.noError])
        let deleted = Later<[String: ErrorCode]>()
        h.coordinator.deleteGroups(["gone"]) { deleted.set($0) }
        #expect(try deleted.wait() == ["gone": .noError])

        let restarted = try GroupHarness(log: h.log)
        #expect(try restarted.fetch("g", [("t", 0), ("t", 1)]).1 == [42, 7])
        #expect(try restarted.fetch("s", nil).1 == [1])
        #expect(try restarted.fetch("gone", nil).1 == [])
        let (_, summary) = try restarted.describe("g")
        #expect(summary.state == "Stable" && summary.members.map(\.memberId) == [member])
        #expect(summary.members.first?.assignment == [5, 5])
        // The member carries on with its generation after the coordinator moved.
        #expect(try restarted.heartbeat("g", member: member, generation: generation) == .noError)
    }

    @Test func startupLoadsInTheBackground() throws {
        let h = try GroupHarness()
        let (member, generation) = try h.joinAndSync("g")
        #expect(try h.commit("g", member: member, generation: generation, [("t", 0, 9)]) == [.noError])
        // A restart whose log reads are held back until the test lets them go.
        let gated = GatedGroupLog(h.log)
        let c = GroupCoordinator(config: GroupHarness.config(), log: gated)
        c.startup()
        let early = Later<[(ErrorCode, [FetchedOffset])]>()
        c.fetchOffsets([(groupId: "g", partitions: nil)]) { early.set($0) }
        #expect(try early.wait().first?.0 == .coordinatorLoadInProgress)
        let listed = Later<ErrorCode>()
        c.listGroups(states: []) { e, _ in listed.set(e) }
        #expect(try listed.wait() == .coordinatorLoadInProgress)
        gated.open()
        let deadline = Date().addingTimeInterval(5)
        while c.core.withLock({ $0.partitions.values.contains(.loading) }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
        let late = Later<[(ErrorCode, [FetchedOffset])]>()
        c.fetchOffsets([(groupId: "g", partitions: nil)]) { late.set($0) }
        #expect(try late.wait().first?.1.map { $0.offset?.offset } == [9])
    }

    @Test func loadingPartitionsAnswerLoadInProgress() throws {
        let h = try GroupHarness()
        h.coordinator.core.withLock { core in
            for p in core.partitions.keys { core.partitions[p] = .loading }
        }
        #expect(try h.join("g").wait().error == .coordinatorLoadInProgress)
        #expect(try h.heartbeat("g", member: "m", generation: 1) == .noError)
        #expect(try h.sync("g", member: "m", generation: 1).wait().error == .rebalanceInProgress)
        #expect(try h.fetch("g", nil).0 == .coordinatorLoadInProgress)
        h.coordinator.core.withLock { $0.partitions.removeAll() }
        #expect(try h.join("g").wait().error == .notCoordinator)
    }

    @Test func describeListDeleteAndOffsetDelete() throws {
        let h = try GroupHarness()
        let (member, generation) = try h.joinAndSync("g")
        #expect(try h.commit("g", member: member, generation: generation, [("t", 0, 1), ("other", 0, 1)]) == [.noError, .noError])
        #expect(try h.commit("s", [("t", 0, 1)]) == [.noError])
        let (_, summary) = try h.describe("g")
        #expect(summary.state == "Stable" && summary.protocolType == "consumer" && summary.protocolName == "range")
        #expect(summary.members.first?.clientHost == "/127.0.0.1")
        #expect(try h.describe("missing").1 == .dead)

        let listed = Later<(ErrorCode, [GroupOverview])>()
        h.coordinator.listGroups(states: ["stable"]) { listed.set(($0, $1)) }
        #expect(try listed.wait().1.map(\.groupId) == ["g"])
        let all = Later<(ErrorCode, [GroupOverview])>()
        h.coordinator.listGroups(states: []) { all.set(($0, $1)) }
        #expect(try all.wait().1.map(\.state) == ["Stable", "Empty"])

        let deleted = Later<[String: ErrorCode]>()
        h.coordinator.deleteGroups(["g", "s", "nope"]) { deleted.set($0) }
        #expect(try deleted.wait() == ["g": .nonEmptyGroup, "s": .noError, "nope": .groupIdNotFound])

        // The member subscribes to "t" (the harness' metadata [1] does not parse: unknown
        // subscriptions count as subscribed), so only an empty group loses offsets freely.
        let deleteOffsets = Later<(ErrorCode, [TopicPartition: ErrorCode])>()
        h.coordinator.deleteOffsets(groupId: "g", partitions: [TopicPartition(topic: "other", partition: 0)]) { deleteOffsets.set(($0, $1)) }
        #expect(try deleteOffsets.wait().1 == [TopicPartition(topic: "other", partition: 0): .groupSubscribedToTopic])
        _ = try h.leave("g", members: [.init(memberId: member)])
        let afterLeave = Later<(ErrorCode, [TopicPartition: ErrorCode])>()
        h.coordinator.deleteOffsets(groupId: "g", partitions: [TopicPartition(topic: "other", partition: 0)]) { afterLeave.set(($0, $1)) }
        #expect(try afterLeave.wait().1 == [TopicPartition(topic: "other", partition: 0): .noError])
        #expect(try h.fetch("g", nil).1 == [1])
    }

    @Test func subscribedTopicsComeFromConsumerSubscriptions() throws {
        let h = try GroupHarness()
        let joined = try h.join("g", protocols: [("range", GroupHarness.subscription(["a", "b"]))]).wait()
        _ = try h.sync("g", member: joined.memberId, generation: 1).wait()
        let deleted = Later<(ErrorCode, [TopicPartition: ErrorCode])>()
        h.coordinator.deleteOffsets(groupId: "g", partitions: [TopicPartition(topic: "a", partition: 0), TopicPartition(topic: "c", partition: 0)]) {
            deleted.set(($0, $1))
        }
        #expect(try deleted.wait().1 == [TopicPartition(topic: "a", partition: 0): .groupSubscribedToTopic,
                                         TopicPartition(topic: "c", partition: 0): .noError])
    }

    @Test func offsetsOfEmptyGroupsExpire() throws {
        let now = Atomic<Int64>(1_000_000)
        let log = MemoryGroupLog()
        var config = GroupHarness.config()
        config.offsetsRetentionMs = 60_000
        let c = GroupCoordinator(config: config, log: log, clock: { now.load(ordering: .relaxed) })
        c.startup()
        let found = Later<[ErrorCode]>()
        c.findCoordinator(["x"]) { found.set($0) }
        _ = try found.wait()
        let committed = Later<[TopicPartition: ErrorCode]>()
        c.commitOffsets(groupId: "s", memberId: "", groupInstanceId: nil, generationId: -1,
                        offsets: [(TopicPartition(topic: "t", partition: 0), CommittedOffset(offset: 1, commitTimestamp: 1_000_000))]) {
            committed.set($0)
        }
        _ = try committed.wait()
        now.store(1_030_000, ordering: .relaxed)
        c.run { c, core, _ in c.expireOffsets(&core) }
        c.drain()
        #expect(c.core.withLock { $0.groups["s"] != nil })
        now.store(1_060_000, ordering: .relaxed)
        c.run { c, core, _ in c.expireOffsets(&core) }
        c.drain()
        #expect(c.core.withLock { $0.groups["s"] == nil })
        // Tombstones for the offset and the group.
        #expect(log.allRecords.suffix(2).allSatisfy { $0.value == nil })
    }
}
