import KafkaProtocol
import FuzzSupport
import Wire

/// libFuzzer entry point: the input is one request frame (without its size prefix), exactly as
/// the broker hands it to the decoder. Decoding must throw or succeed, never trap; whatever
/// decodes must re-encode, and re-encoding what that decodes to must give the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKafkaRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let frame = Array(UnsafeBufferPointer(start: data, count: size))
    guard let decoded = try? DecodedRequest(frame: frame[...]) else { return 0 }
    let version = decoded.header.requestApiVersion
    do {
        let first = try decoded.body.encoded(version: version)
        var reader = ByteReader(first)
        let again = try decoded.apiKey.decodeRequest(from: &reader, version: version)
        let second = try again.encoded(version: version)
        if first != second || !reader.isAtEnd {
            fatalError("\(decoded.apiKey) v\(version): re-encoding is not stable")
        }
    } catch {
        fatalError("\(decoded.apiKey) v\(version): a decoded request failed to re-encode: \(error)")
    }
    return 0
}

@_cdecl("FuzzKafkaRequests_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzKafkaRequest(data, size)
    }
}
