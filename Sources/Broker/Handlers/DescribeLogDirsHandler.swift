import Foundation
import KafkaProtocol
import LogStore

/// DescribeLogDirs (key 35), v1–4: every log directory with the partitions in it (size, lag 0
/// for a leader) and, v4+, the file system's total and usable bytes. Topics null means all.
struct DescribeLogDirsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 1...4
    let replicas: ReplicaManager

    func handle(_ request: DescribeLogDirsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<DescribeLogDirsResponse>) -> Void) {
        let wanted: Set<TopicPartition>? = request.topics.map { topics in
            Set(topics.flatMap { t in t.partitions.map { TopicPartition(topic: t.topic, partition: $0) } })
        }
        var byDir: [String: [String: [DescribeLogDirsResponse.DescribeLogDirsPartition]]] = [:]
        for partition in replicas.allPartitions {
            let tp = partition.topicPartition
            if let wanted, !wanted.contains(tp) { continue }
            let dir = URL(fileURLWithPath: partition.log.directory).deletingLastPathComponent().path
            byDir[dir, default: [:]][tp.topic, default: []].append(
                .init(partitionIndex: tp.partition, partitionSize: partition.log.size, offsetLag: 0, isFutureKey: false))
        }
        let results = replicas.logManager.options.logDirs.map { dir -> DescribeLogDirsResponse.DescribeLogDirsResult in
            let path = URL(fileURLWithPath: dir).standardizedFileURL.path
            let topics = (byDir[path] ?? byDir[dir] ?? [:]).sorted { $0.key < $1.key }.map { name, partitions in
                DescribeLogDirsResponse.DescribeLogDirsTopic(name: name, partitions: partitions.sorted { $0.partitionIndex < $1.partitionIndex })
            }
            var stats = statvfs()
            let ok = statvfs(dir, &stats) == 0
            return .init(
                errorCode: 0, logDir: dir, topics: topics,
                totalBytes: ok ? Int64(stats.f_blocks) * Int64(stats.f_frsize) : -1,
                usableBytes: ok ? Int64(stats.f_bavail) * Int64(stats.f_frsize) : -1)
        }
        respond(.of(DescribeLogDirsResponse(results: results)))
    }
}
