import ArgumentParser
import Foundation
import KafkaRecords
import Wire

/// `petrel dev probe-broker`: see `ProbeBroker`. Prints "listening on HOST:PORT" once ready.
struct ProbeBrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-broker",
        abstract: "Answer Kafka clients from memory and log every decoded request (test fixture).")

    @Option(help: "Address to listen on and to advertise.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port: UInt16 = 0
    @Option(help: "A topic to serve, as NAME:PARTITIONS (repeatable).") var topic: [String] = []
    @Option(help: "File to append JSON lines to (default: standard output).") var log: String?
    @Option(help: "Rebuild fetched batches with this codec (none, gzip, snappy, lz4, zstd).") var fetchCodec: String?

    func run() throws {
        let topics = try topic.map { spec -> ProbeBroker.Topic in
            let parts = spec.split(separator: ":")
            guard parts.count == 2, let count = Int(parts[1]), count > 0 else {
                throw ValidationError("--topic wants NAME:PARTITIONS, got '\(spec)'")
            }
            return ProbeBroker.Topic(name: String(parts[0]), id: Uuid.random(), partitions: count)
        }
        var codec: CompressionCodec?
        if let fetchCodec {
            guard let c = CompressionCodec(name: fetchCodec) else { throw ValidationError("unknown codec '\(fetchCodec)'") }
            codec = c
        }
        let handle: FileHandle
        if let log {
            if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
            guard let h = FileHandle(forWritingAtPath: log) else { throw ValidationError("cannot write \(log)") }
            h.seekToEndOfFile()
            handle = h
        } else {
            handle = .standardOutput
        }
        let probe = try ProbeBroker(options: .init(host: host, topics: topics, fetchCodec: codec), port: port, log: handle)
        FileHandle.standardOutput.write(Data("listening on \(host):\(probe.port)\n".utf8))
        probe.serve()
    }
}
