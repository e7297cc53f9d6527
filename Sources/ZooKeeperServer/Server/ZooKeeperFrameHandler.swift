import Network
import Synchronization
import Wire
import ZooKeeperProtocol

/// Connects the network layer to the request processor (ZooKeeper's `NIOServerCnxn` reading
/// side): decodes each frame on its network thread into an `Incoming` and hands it over.
///
/// A connection's first frame is its `ConnectRequest`, without a request header (NOTES.md §3);
/// every later frame is a `RequestHeader` and the op's record. Which one a frame is depends
/// only on whether it is the first, so the handler remembers the connections that have sent
/// one. Frames of one connection arrive in order on one thread, so the set needs the lock only
/// because connections live on different network threads.
final class ZooKeeperFrameHandler: FrameHandler {
    let processor: RequestProcessor
    private let started = Mutex<Set<UInt64>>([])

    init(processor: RequestProcessor) {
        self.processor = processor
    }

    func connectionOpened(_ connection: ConnectionInfo, channel: ConnectionChannel) {
        processor.connectionOpened(connection, channel: channel)
    }

    func connectionClosed(_ connection: ConnectionInfo) {
        _ = started.withLock { $0.remove(connection.id) }
        processor.connectionClosed(connection)
    }

    func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void) {
        let first = started.withLock { $0.insert(connection.id).inserted }
        processor.receive(Self.decode(frame, first: first), from: connection.id, reply: reply)
    }

    /// What a frame asks for. Never throws: what cannot be read becomes `.garbage` (the
    /// connection closes) or `.malformed` (MarshallingError, when at least the header is
    /// readable, as ZooKeeper answers a record it cannot deserialize).
    static func decode(_ frame: [UInt8], first: Bool) -> Incoming {
        var reader = ByteReader(frame)
        if first {
            do {
                return .connect(try ConnectRequest(from: &reader))
            } catch {
                return .garbage("unreadable connect request (\(frame.count) bytes): \(error)")
            }
        }
        let header: RequestHeader
        do {
            header = try RequestHeader(from: &reader)
        } catch {
            return .garbage("unreadable request header (\(frame.count) bytes): \(error)")
        }
        // ZooKeeper takes createSession for a valid op and fails to read its (server-only)
        // record: MarshallingError, connection kept.
        if header.type == OpCode.createSession.rawValue {
            return .malformed(header, "createSession is internal to the server")
        }
        if header.type == OpCode.sasl.rawValue { return .sasl(header) }
        do {
            guard let request = try ZooKeeperRequest.decode(type: header.type, from: &reader) else {
                return .unknownOp(header)
            }
            return .request(header, request)
        } catch {
            return .malformed(header, "\(error)")
        }
    }
}
