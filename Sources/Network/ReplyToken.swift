import Synchronization

/// The `reply` callback of one request: carries the reply to the connection's network thread,
/// exactly once.
///
/// A second call is ignored and its frame released. If the handler lets go of the callback
/// without calling it, `deinit` answers `.close` in its place, so the connection does not wait
/// forever for a request that will never complete.
final class ReplyToken: Sendable {
    private let thread: NetworkThread
    private let connectionID: UInt64
    private let sequence: UInt64
    private let answered = Atomic<Bool>(false)

    init(thread: NetworkThread, connectionID: UInt64, sequence: UInt64) {
        self.thread = thread
        self.connectionID = connectionID
        self.sequence = sequence
    }

    func fulfil(_ reply: Reply) {
        if answered.exchange(true, ordering: .acquiringAndReleasing) {
            reply.discard()
            thread.context.log("handler replied twice to request #\(sequence) of connection #\(connectionID); second reply ignored")
            return
        }
        thread.deliver(reply, connectionID: connectionID, sequence: sequence)
    }

    deinit {
        if !answered.load(ordering: .acquiring) {
            thread.deliver(
                .close(reason: "the handler dropped request #\(sequence) without replying"),
                connectionID: connectionID, sequence: sequence)
        }
    }
}
