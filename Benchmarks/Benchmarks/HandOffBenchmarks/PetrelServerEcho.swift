#if canImport(Glibc)
import Glibc
#endif
import BenchmarkSupport
import Dispatch
import Network

/// Answers every frame with itself, on the connection's network thread.
private struct Echo: FrameHandler {
    func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void) {
        reply(.frame(OutgoingFrame(payload: frame)))
    }
}

/// The caller blocked in `read` (as in `blocking`), the echo Petrel's own `TCPServer`: its epoll
/// thread reports the socket readable and hands it to the connection's serial queue, whose
/// worker reads the frame, calls the handler and writes the reply. With `loop`, the network
/// thread's queue targets one serial queue, as a coordination-service member's do. Each round
/// trip is one crossing into the server and one back to the blocked caller, so the difference to
/// the blocking pair is what the server's two wake-ups cost beyond one. With `.mainThread`
/// the loop targets the main queue, which the main thread runs between its epoll waits
/// (`MainThreadLoop`): the thread the kernel wakes runs the handler.
func echoByPetrelServer(rounds: Int, loop: EchoLoop?) -> Double {
    var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.numNetworkThreads = 1
    if let loop {
        let root = DispatchQueue(label: "bench.loop", target: loop == .mainThread ? .main : nil)
        SerialHierarchy.mark(root)
        configuration.targetQueue = root
    }
    let server: TCPServer
    do {
        server = try TCPServer(configuration: configuration, handler: Echo())
        try server.start()
    } catch {
        fatalError("cannot start the echo server: \(error)")
    }
    let fd = connectBlocking(port: server.boundPort)
    // One frame of `messageSize` bytes on the wire: the size prefix and the rest as payload.
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: messageSize, alignment: 8)
    buffer.initializeMemory(as: UInt8.self, repeating: 7, count: messageSize)
    buffer.storeBytes(of: UInt32(messageSize - 4).bigEndian, as: UInt32.self)
    let start = now()
    for _ in 0..<rounds {
        writeFully(fd, buffer, messageSize)
        precondition(readFully(fd, buffer, messageSize), "echo server closed early")
    }
    let seconds = now() - start
    close(fd)
    buffer.deallocate()
    let stopped = DispatchSemaphore(value: 0)
    server.shutdown(timeout: .seconds(5)) { stopped.signal() }
    stopped.wait()
    return seconds
}

/// Where the server's loop runs: a serial queue on Dispatch's workers, or the main thread.
enum EchoLoop {
    case ownQueue, mainThread
}

/// A blocking loopback connection with TCP_NODELAY, as the members' links have.
private func connectBlocking(port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    precondition(connected == 0, "cannot connect to the echo server: \(errno)")
    var on: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    return fd
}
