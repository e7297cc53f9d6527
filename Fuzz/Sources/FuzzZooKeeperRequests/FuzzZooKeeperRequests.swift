import FuzzSupport
import Wire
import ZooKeeperProtocol

/// libFuzzer entry point over what a ZooKeeper node decodes from a client: the input is one
/// frame's payload (without its length prefix). A first byte of 0 makes it the connect
/// handshake (ConnectRequest, no header); anything else is a request header and its record, as
/// after the handshake. Decoding must throw or succeed, never trap; whatever decodes must
/// re-encode to bytes that decode to the same value and re-encode identically.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZooKeeperRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] == 0 {
        var reader = ByteReader(payload)
        guard let connect = try? ConnectRequest(from: &reader) else { return 0 }
        var writer = ByteWriter(capacity: 64)
        connect.encode(into: &writer)
        var again = ByteReader(writer.bytes)
        guard let decoded = try? ConnectRequest(from: &again), decoded == connect else {
            fatalError("ConnectRequest does not survive re-encoding: \(connect)")
        }
        return 0
    }
    var reader = ByteReader(payload)
    guard let header = try? RequestHeader(from: &reader),
        let request = try? ZooKeeperRequest.decode(type: header.type, from: &reader)
    else { return 0 }
    let first = request.encodedFrame(xid: header.xid)
    var again = ByteReader(first)
    do {
        let secondHeader = try RequestHeader(from: &again)
        guard let second = try ZooKeeperRequest.decode(type: secondHeader.type, from: &again) else {
            fatalError("op \(header.type) re-encoded to an op that does not decode")
        }
        if second.encodedFrame(xid: secondHeader.xid) != first || !again.isAtEnd {
            fatalError("op \(header.type): re-encoding is not stable")
        }
    } catch {
        fatalError("op \(header.type): a decoded request failed to decode again: \(error)")
    }
    return 0
}

@_cdecl("FuzzZooKeeperRequests_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzZooKeeperRequest(data, size)
    }
}
