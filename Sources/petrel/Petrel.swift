import ArgumentParser
import KafkaProtocol
import Wire
import ZooKeeperCommand

@main
struct Petrel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petrel",
        abstract: "A Kafka-compatible event-streaming broker and a ZooKeeper-compatible coordination service.",
        version: PetrelVersion.current,
        subcommands: [BrokerCommand.self, ZooKeeperCommand.self, DumpLogCommand.self, DevCommand.self])
}
