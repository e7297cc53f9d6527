import Synchronization

/// One request of a `FrameConnection` waiting for its response, shared by the task that
/// awaits it, the task's cancellation handler, and the connection's queue that delivers the
/// response. Whichever comes first settles it; the continuation is resumed exactly once.
final class PendingRequest: Sendable {
    typealias Continuation = CheckedContinuation<Result<[UInt8], NetworkError>, Never>

    private enum State {
        case created
        case waiting(Continuation)
        case cancelled
        case settled
    }

    private let state = Mutex(State.created)

    /// Stores the continuation; false (and the continuation resumed with `.cancelled`) if the
    /// task was cancelled first, in which case the request must not be sent.
    func install(_ continuation: Continuation) -> Bool {
        let cancelled: Bool = state.withLock { state in
            guard case .created = state else { return true }
            state = .waiting(continuation)
            return false
        }
        if cancelled { continuation.resume(returning: .failure(.cancelled)) }
        return !cancelled
    }

    func cancel() {
        settle(.failure(.cancelled), cancelling: true)
    }

    /// Delivers the response or the error that ended the connection.
    func finish(_ result: Result<[UInt8], NetworkError>) {
        settle(result, cancelling: false)
    }

    private func settle(_ result: Result<[UInt8], NetworkError>, cancelling: Bool) {
        let continuation: Continuation? = state.withLock { state in
            switch state {
            case .created:
                if cancelling { state = .cancelled }
                return nil
            case .waiting(let continuation):
                state = cancelling ? .cancelled : .settled
                return continuation
            case .cancelled, .settled:
                return nil
            }
        }
        continuation?.resume(returning: result)
    }
}
