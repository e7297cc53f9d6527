import ArgumentParser
import Dispatch
import Foundation
import KafkaProtocol
import Logging
import ZooKeeperServer

/// `petrel zookeeper zoo.cfg`: runs one ZooKeeper-compatible node in the foreground until
/// SIGTERM or SIGINT, then shuts down cleanly. zoo.cfg keys and the official image's ZOO_*
/// environment variables; the node id from `dataDir/myid` or ZOO_MY_ID.
struct ZooKeeperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zookeeper",
        abstract: "Run a ZooKeeper-compatible node (zoo.cfg with ZooKeeper's keys; ZOO_* environment overrides).")

    @Argument(help: "Path of the zoo.cfg file (omit to configure from ZOO_* variables only).") var config: String?

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "petrel.zookeeper")
        let zooConfig: ZooKeeperConfig
        do {
            zooConfig = try ZooKeeperConfig.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error)")
        }
        let node: ZooKeeperNode
        do {
            node = try ZooKeeperNode(
                config: zooConfig, logger: logger, versionText: "3.8.0-petrel-\(PetrelVersion.current), built on unknown",
                onFatal: { _ in Foundation.exit(70) })
            try node.start()
        } catch {
            logger.critical("cannot start the ZooKeeper node: \(error)")
            throw ExitCode.failure
        }
        waitForShutdownSignal(logger: logger) { await node.shutdown() }
    }
}
