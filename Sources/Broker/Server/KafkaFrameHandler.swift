import Dispatch
import Network
import Synchronization

/// Connects the network layer to the request dispatcher. Requests of one connection are handled
/// one after another, in arrival order, on that connection's own serial queue (so a produce is
/// appended before the next request of the same client is looked at), while the network
/// thread keeps reading; a handler may still complete later (a parked produce or fetch), and
/// the network layer sends responses in request order regardless.
final class KafkaFrameHandler: FrameHandler {
    let dispatcher: RequestDispatcher
    let target = DispatchQueue(label: "petrel.request-handlers", attributes: .concurrent)
    let queues = Mutex<[UInt64: DispatchQueue]>([:])

    init(dispatcher: RequestDispatcher) {
        self.dispatcher = dispatcher
    }

    func queue(for connection: ConnectionInfo) -> DispatchQueue {
        queues.withLock { queues in
            if let q = queues[connection.id] { return q }
            let q = DispatchQueue(label: "petrel.connection.\(connection.id)", target: target)
            queues[connection.id] = q
            return q
        }
    }

    func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void) {
        let dispatcher = self.dispatcher
        queue(for: connection).async {
            dispatcher.dispatch(
                frame: frame, clientHost: connection.remoteHost, connectionId: connection.id,
                listenerName: connection.listenerName
            ) { outcome in
                switch outcome {
                case .frame(let writer, let keepAlive): reply(.frame(OutgoingFrame(writer: writer, keepAlive: keepAlive)))
                case .none: reply(.none)
                case .close(let reason): reply(.close(reason: reason))
                }
            }
        }
    }

    func connectionClosed(_ connection: ConnectionInfo) {
        _ = queues.withLock { $0.removeValue(forKey: connection.id) }
    }
}
