import FuzzSupport
import Wire
@testable import ZooKeeperServer

/// libFuzzer entry point over what a coordination node decodes from its peers and its disk,
/// the inputs that do not come from clients (FuzzZooKeeperRequests covers those). The first
/// byte picks what the rest is:
/// - 0: a quorum frame's body (after the length prefix), as read on the quorum and election
///   ports. Whatever decodes must re-encode to a frame that decodes to the same value and
///   re-encodes identically.
/// - 1: one transaction (`TxnHeader` and record), as in a log file, a DIFF or a forwarded
///   write. Same round-trip rule.
/// - 2: a snapshot's body after ZooKeeper's file header, as read at recovery or sent in a SNAP.
///   Loading must throw or succeed.
/// Never a trap, in any of them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZooKeeperPeerInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 3 {
    case 0: checkQuorumFrame(payload)
    case 1: checkTransaction(payload)
    default: checkSnapshot(payload)
    }
    return 0
}

private func checkQuorumFrame(_ body: [UInt8]) {
    guard let frame = try? QuorumCodec.decode(body: body[...]) else { return }
    let first = QuorumCodec.encode(frame)
    guard first.count >= 4 else { fatalError("quorum frame encoded without its length prefix: \(frame)") }
    do {
        let again = try QuorumCodec.decode(body: first[4...])
        if again != frame { fatalError("quorum frame changed in a round trip: \(frame) became \(again)") }
        if QuorumCodec.encode(again) != first { fatalError("quorum frame re-encoding is not stable: \(frame)") }
    } catch {
        fatalError("a decoded quorum frame failed to decode again: \(error) (\(frame))")
    }
}

private func checkTransaction(_ bytes: [UInt8]) {
    guard let txn = try? TxnCodec.decode(bytes) else { return }
    let first = TxnCodec.encode(txn)
    do {
        let again = try TxnCodec.decode(first)
        if again != txn { fatalError("transaction changed in a round trip: \(txn) became \(again)") }
        if TxnCodec.encode(again) != first { fatalError("transaction re-encoding is not stable: \(txn)") }
    } catch {
        fatalError("a decoded transaction failed to decode again: \(error) (\(txn))")
    }
}

private func checkSnapshot(_ body: [UInt8]) {
    let bytes = StorageFiles.header(magic: StorageFiles.snapshotMagic, dbid: SnapshotFile.dbid) + body
    for extendedTypes in [false, true] {
        _ = try? SnapshotFile.decode(bytes, zxid: 1, path: "fuzz input", extendedTypes: extendedTypes)
    }
}

@_cdecl("FuzzZooKeeperPeers_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzZooKeeperPeerInput(data, size)
    }
}
