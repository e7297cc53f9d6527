import Foundation
import KafkaProtocol
import Synchronization
import Testing
import Wire

@testable import Broker

/// The group handlers behind a real dispatcher: every advertised version encodes and
/// decodes, and the version rules of each API hold.
@Suite struct GroupHandlerTests {
    let harness: GroupHarness
    let dispatcher: RequestDispatcher

    init() throws {
        harness = try GroupHarness()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-groups-\(UUID().uuidString)")
        let registry = try TopicRegistry(backend: try LocalMetadataBackend(root: dir))
        try registry.put(TopicInfo(name: "t", id: .random(), partitions: (0..<3).map {
            PartitionInfo(index: $0, replicas: [0], leader: 0, leaderEpoch: 0, isr: [0])
        }, configs: [:]))
        let cluster = StandaloneCluster(
            clusterId: "c", brokerId: 0, advertised: [Listener(name: "PLAINTEXT", host: "localhost", port: 9092)], rack: nil)
        let c = harness.coordinator
        dispatcher = RequestDispatcher(handlers: [
            FindCoordinatorHandler(coordinator: c, cluster: cluster), JoinGroupHandler(coordinator: c),
            SyncGroupHandler(coordinator: c), HeartbeatHandler(coordinator: c), LeaveGroupHandler(coordinator: c),
            OffsetCommitHandler(coordinator: c, registry: registry), OffsetFetchHandler(coordinator: c),
            DescribeGroupsHandler(coordinator: c), ListGroupsHandler(coordinator: c), DeleteGroupsHandler(coordinator: c),
            OffsetDeleteHandler(coordinator: c, registry: registry),
        ])
    }

    func call<R: KafkaRequest>(_ request: R, version: Int16, clientId: String = "t") throws -> R.Response {
        let frame = Array(try encodeRequestFrame(request, version: version, correlationId: 5, clientId: clientId).bytes.dropFirst(4))
        let result = Later<RequestDispatcher.Outcome>()
        dispatcher.dispatch(frame: frame, clientHost: "127.0.0.1", connectionId: 1, listenerName: "PLAINTEXT") { result.set($0) }
        guard case .frame(let writer, _) = try result.wait() else {
            throw WaitTimeout(what: "\(R.messageName) v\(version): \(String(describing: result.peek))")
        }
        var reader = ByteReader(writer.bytes)
        _ = try reader.readInt32()
        _ = try ResponseHeader(from: &reader, version: R.apiKey.responseHeaderVersion(apiVersion: version))
        let response = try R.Response(from: &reader, version: version)
        #expect(reader.isAtEnd)
        return response
    }

    @Test func advertisesKafkaRanges() {
        let ranges = Dictionary(dispatcher.advertised.map { ($0.key, $0.versions) }, uniquingKeysWith: { a, _ in a })
        #expect(ranges[.findCoordinator] == 0...4 && ranges[.joinGroup] == 0...9 && ranges[.syncGroup] == 0...5)
        #expect(ranges[.heartbeat] == 0...4 && ranges[.leaveGroup] == 0...5 && ranges[.offsetCommit] == 0...9)
        #expect(ranges[.offsetFetch] == 0...9 && ranges[.describeGroups] == 0...5 && ranges[.listGroups] == 0...4)
        #expect(ranges[.deleteGroups] == 0...2 && ranges[.offsetDelete] == 0...0)
    }

    @Test func everyAdvertisedVersionAnswers() throws {
        for (key, versions) in dispatcher.advertised {
            for v in versions {
                let g = "g-\(key.rawValue)-\(v)"
                switch key {
                case .findCoordinator:
                    let r = try call(v >= 4 ? FindCoordinatorRequest(coordinatorKeys: [g, "x"]) : FindCoordinatorRequest(key: g), version: v)
                    if v >= 4 {
                        #expect(r.coordinators.map(\.nodeId) == [0, 0] && r.coordinators.first?.host == "localhost")
                    } else {
                        #expect(r.errorCode == 0 && r.nodeId == 0 && r.port == 9092)
                    }
                case .joinGroup:
                    let r = try call(JoinGroupRequest(
                        groupId: g, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: "consumer",
                        protocols: [.init(name: "range", metadata: [1])]), version: v)
                    #expect(r.errorCode == (v >= 4 ? ErrorCode.memberIdRequired : .noError).rawValue)
                    #expect(r.memberId.hasPrefix("t-"))
                case .syncGroup:
                    let request = v >= 5
                        ? SyncGroupRequest(groupId: g, generationId: 1, memberId: "m", protocolType: "consumer", protocolName: "range")
                        : SyncGroupRequest(groupId: g, generationId: 1, memberId: "m")
                    #expect(try call(request, version: v).errorCode == ErrorCode.unknownMemberId.rawValue)
                case .heartbeat:
                    #expect(try call(HeartbeatRequest(groupId: g, generationId: 1, memberId: "m"), version: v).errorCode
                        == ErrorCode.unknownMemberId.rawValue)
                case .leaveGroup:
                    let r = try call(v >= 3 ? LeaveGroupRequest(groupId: g, members: [.init(memberId: "m")]) : LeaveGroupRequest(groupId: g, memberId: "m"), version: v)
                    if v >= 3 { #expect(r.members.map(\.errorCode) == [ErrorCode.unknownMemberId.rawValue]) } else {
                        #expect(r.errorCode == ErrorCode.unknownMemberId.rawValue)
                    }
                case .offsetCommit:
                    let r = try call(OffsetCommitRequest(groupId: g, topics: [
                        .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: Int64(v))]),
                        .init(name: "missing", partitions: [.init(partitionIndex: 0, committedOffset: 1)]),
                    ]), version: v)
                    #expect(r.topics.map { $0.partitions.map(\.errorCode) } == [[0], [ErrorCode.unknownTopicOrPartition.rawValue]])
                    #expect(try harness.fetch(g, [("t", 0)]).1 == [Int64(v)])
                case .offsetFetch:
                    _ = try harness.commit(g, [("t", 1, 77)])
                    if v >= 8 {
                        let r = try call(OffsetFetchRequest(groups: [
                            .init(groupId: g, topics: [.init(name: "t", partitionIndexes: [1, 2])]), .init(groupId: "none", topics: nil),
                        ]), version: v)
                        #expect(r.groups.map(\.groupId) == [g, "none"])
                        #expect(r.groups.first?.topics.first?.partitions.map(\.committedOffset) == [77, -1])
                    } else {
                        let r = try call(OffsetFetchRequest(groupId: g, topics: [.init(name: "t", partitionIndexes: [1, 2])]), version: v)
                        #expect(r.topics.first?.partitions.map(\.committedOffset) == [77, -1])
                        if v >= 2 {
                            let all = try call(OffsetFetchRequest(groupId: g, topics: nil), version: v)
                            #expect(all.topics.first?.partitions.map(\.partitionIndex) == [1])
                        }
                    }
                case .describeGroups:
                    let r = try call(DescribeGroupsRequest(groups: [g], includeAuthorizedOperations: v >= 3), version: v)
                    #expect(r.groups.first?.groupState == "Dead")
                    #expect(r.groups.first?.authorizedOperations == (v >= 3 ? DescribeGroupsHandler.groupOperations : Int32.min))
                case .listGroups:
                    let r = try call(v >= 4 ? ListGroupsRequest(statesFilter: ["Empty"]) : ListGroupsRequest(), version: v)
                    #expect(r.errorCode == 0)
                case .deleteGroups:
                    _ = try harness.commit(g, [("t", 0, 1)])
                    #expect(try call(DeleteGroupsRequest(groupsNames: [g, "nope"]), version: v).results.map(\.errorCode)
                        == [0, ErrorCode.groupIdNotFound.rawValue])
                case .offsetDelete:
                    _ = try harness.commit(g, [("t", 0, 1)])
                    let r = try call(OffsetDeleteRequest(groupId: g, topics: [.init(name: "t", partitions: [.init(partitionIndex: 0), .init(partitionIndex: 9)])]), version: v)
                    #expect(r.topics.first?.partitions.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
                case .apiVersions:
                    _ = try call(ApiVersionsRequest(), version: v)
                default:
                    Issue.record("untested API \(key)")
                }
            }
        }
    }

    @Test func transactionKeysHaveNoCoordinatorAndUnknownTypesAreInvalid() throws {
        let txn = try call(FindCoordinatorRequest(key: "tx", keyType: 1), version: 3)
        #expect(txn.errorCode == ErrorCode.coordinatorNotAvailable.rawValue && txn.nodeId == -1 && txn.port == -1)
        let bad = try call(FindCoordinatorRequest(keyType: 7, coordinatorKeys: ["a"]), version: 4)
        #expect(bad.coordinators.map(\.errorCode) == [ErrorCode.invalidRequest.rawValue])
    }

    @Test func joinSyncDescribeAcrossVersions() throws {
        // A v3 member (no MEMBER_ID_REQUIRED) and the group as DescribeGroups v5 shows it.
        let joined = try call(JoinGroupRequest(
            groupId: "app", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: "consumer",
            protocols: [.init(name: "range", metadata: [3])]), version: 3, clientId: "svc")
        #expect(joined.errorCode == 0 && joined.generationId == 1 && joined.protocolName == "range")
        #expect(joined.leader == joined.memberId && joined.members.map(\.metadata) == [[3]])
        let v5 = try call(SyncGroupRequest(groupId: "app", generationId: 1, memberId: joined.memberId), version: 5)
        #expect(v5.errorCode == ErrorCode.inconsistentGroupProtocol.rawValue)
        let synced = try call(SyncGroupRequest(
            groupId: "app", generationId: 1, memberId: joined.memberId, protocolType: "consumer", protocolName: "range",
            assignments: [.init(memberId: joined.memberId, assignment: [8])]), version: 5)
        #expect(synced.errorCode == 0 && synced.assignment == [8] && synced.protocolType == "consumer")
        let described = try call(DescribeGroupsRequest(groups: ["app"]), version: 5)
        let group = try #require(described.groups.first)
        #expect(group.groupState == "Stable" && group.protocolData == "range" && group.members.first?.clientId == "svc")
        #expect(group.members.first?.clientHost == "/127.0.0.1" && group.members.first?.memberAssignment == [8])
        let listed = try call(ListGroupsRequest(statesFilter: ["stable"]), version: 4)
        #expect(listed.groups.map(\.groupId) == ["app"] && listed.groups.first?.groupState == "Stable")
        let left = try call(LeaveGroupRequest(groupId: "app", memberId: joined.memberId), version: 1)
        #expect(left.errorCode == 0)
        #expect(try call(HeartbeatRequest(groupId: "app", generationId: 1, memberId: joined.memberId), version: 0).errorCode
            == ErrorCode.unknownMemberId.rawValue)
    }

    @Test func offsetFetchErrorsByVersion() throws {
        harness.coordinator.core.withLock { core in for p in core.partitions.keys { core.partitions[p] = .loading } }
        let v1 = try call(OffsetFetchRequest(groupId: "x", topics: [.init(name: "t", partitionIndexes: [0])]), version: 1)
        #expect(v1.topics.first?.partitions.first?.errorCode == ErrorCode.coordinatorLoadInProgress.rawValue)
        let v7 = try call(OffsetFetchRequest(groupId: "x", topics: [.init(name: "t", partitionIndexes: [0])]), version: 7)
        #expect(v7.errorCode == ErrorCode.coordinatorLoadInProgress.rawValue && v7.topics.isEmpty)
        let v8 = try call(OffsetFetchRequest(groups: [.init(groupId: "x", topics: nil)]), version: 8)
        #expect(v8.groups.first?.errorCode == ErrorCode.coordinatorLoadInProgress.rawValue)
    }
}
