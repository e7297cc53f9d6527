import ArgumentParser
import Foundation
import KafkaProtocol
import Wire

/// `petrel dev decode-request`: decodes request frames (hex, one per line on standard input,
/// without the size prefix) and prints one JSON object per frame: the header, the body as Swift
/// prints it, and whether re-encoding the decoded request reproduces the frame byte for byte.
struct DecodeRequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-request",
        abstract: "Decode Kafka request frames given as hex lines on standard input.")

    func run() throws {
        while let line = readLine() {
            let hex = line.trimmingCharacters(in: .whitespaces)
            if hex.isEmpty { continue }
            guard let frame = Self.bytes(fromHex: hex) else {
                Self.emit(["error": "not hex"])
                continue
            }
            do {
                let request = try DecodedRequest(frame: frame[...])
                let version = request.header.requestApiVersion
                var again = ByteWriter()
                try request.header.encode(into: &again, version: request.apiKey.requestHeaderVersion(apiVersion: version))
                try request.body.encode(into: &again, version: version)
                Self.emit([
                    "api": request.apiKey.name, "apiKey": Int(request.apiKey.rawValue), "apiVersion": Int(version),
                    "correlationId": Int(request.header.correlationId), "clientId": request.header.clientId ?? NSNull(),
                    "body": String(describing: request.body), "reencodesIdentically": again.bytes == frame,
                ])
            } catch {
                Self.emit(["error": "\(error)"])
            }
        }
    }

    static func emit(_ object: [String: Any]) {
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }

    static func bytes(fromHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
