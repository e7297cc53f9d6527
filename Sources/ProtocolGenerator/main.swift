import Foundation
import ProtocolGeneratorKit

// Usage: ProtocolGenerator <specs dir> <library output dir> <test samples output dir>
let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("""
        usage: ProtocolGenerator <kafka-protocol/messages> <Sources/KafkaProtocol/Generated> <Tests/KafkaProtocolTests/Generated>
        Reads Kafka's JSON message specs and writes one Swift file per message.

        """.utf8))
    exit(2)
}
let paths = Array(arguments)
do {
    let generator = Generator(specsDirectory: URL(fileURLWithPath: paths[0]))
    try generator.write(library: URL(fileURLWithPath: paths[1]), samples: URL(fileURLWithPath: paths[2]))
    print("generated Swift for the specs in \(paths[0])")
} catch {
    FileHandle.standardError.write(Data("ProtocolGenerator: \(error)\n".utf8))
    exit(1)
}
