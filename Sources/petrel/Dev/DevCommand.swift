import ArgumentParser

/// `petrel dev …`: developer and test tooling, hidden from the main help.
struct DevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Developer and test tooling.",
        shouldDisplay: false,
        subcommands: [ProbeBrokerCommand.self, DecodeRequestCommand.self, EncodeBatchCommand.self])
}
