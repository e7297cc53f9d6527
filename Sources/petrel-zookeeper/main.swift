// `petrel-zookeeper CONFIG`: the coordination service alone, the same as `petrel zookeeper
// CONFIG`, in a binary without the Kafka broker, Foundation's full library or ICU (only the
// FoundationEssentials the argument parser uses), so each ZooKeeper process maps half the
// memory (the image for the ZooKeeper pods runs this one).
import ArgumentParser
import Wire
import ZooKeeperCommand

struct PetrelZooKeeper: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petrel-zookeeper", abstract: ZooKeeperCommand.configuration.abstract, version: PetrelVersion.current)

    @OptionGroup var node: ZooKeeperCommand

    func run() throws {
        try node.run()
    }
}

PetrelZooKeeper.main()
