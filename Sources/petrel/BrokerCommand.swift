import ArgumentParser
import Broker
import Dispatch
import Foundation
import Logging
import ZooKeeperCommand

/// `petrel broker server.properties [--override key=value …]`: runs one Kafka broker in the
/// foreground until SIGTERM or SIGINT, then shuts down cleanly.
struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run a Kafka broker (server.properties with Kafka's keys; KAFKA_* environment overrides).")

    @Argument(help: "Path of the server.properties file.") var config: String
    @Option(name: .customLong("override"), help: "Set a configuration key, as key=value (repeatable).") var overrides: [String] = []

    func run() throws {
        let logger = bootstrapServerLogging(label: "petrel.broker")
        let brokerConfig: BrokerConfig
        do {
            brokerConfig = try BrokerConfig.load(path: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            throw ValidationError("\(error)")
        }
        let server: KafkaServer
        do {
            server = try KafkaServer(config: brokerConfig, logger: logger)
            try server.start()
        } catch {
            logger.critical("cannot start the broker: \(error)")
            throw ExitCode.failure
        }
        waitForShutdownSignal(logger: logger) { await server.shutdown() }
    }
}
