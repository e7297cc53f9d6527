import Glibc
import Testing
import Wire

@testable import Network

extension NetworkTests {
    @Suite struct Sendfile {
        /// A temporary file of `size` pseudo-random bytes, open for reading; removed at once
        /// (the descriptor keeps it alive).
        func temporaryFile(size: Int) throws -> (fd: Int32, bytes: [UInt8]) {
            var template = Array("/tmp/petrel-network-test-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { throw TestFailure("mkstemp failed") }
            unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            var state: UInt32 = 0x1234_5678
            let bytes = (0..<size).map { _ -> UInt8 in
                state = state &* 1_664_525 &+ 1_013_904_223
                return UInt8(truncatingIfNeeded: state >> 24)
            }
            var written = 0
            while written < size {
                let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, size - written) }
                guard count > 0 else { throw TestFailure("write failed") }
                written += count
            }
            return (fd, bytes)
        }

        @Test func splicedRegionsArriveByteExact() async throws {
            let file = try temporaryFile(size: 5_000_000)
            defer { Glibc.close(file.fd) }
            let outcomes = Box<[Bool]>([])
            let handler = TestHandler { _, _, reply in
                var writer = ByteWriter()
                let sizeAt = writer.reserveInt32()
                writer.writeBytes([1, 2, 3])
                writer.writeRegion(FileRegion(fd: file.fd, offset: 10, count: 100))
                writer.writeBytes([4, 5])
                writer.writeRegion(FileRegion(fd: file.fd, offset: 0, count: 0))
                writer.writeRegion(FileRegion(fd: file.fd, offset: 1000, count: 4_000_000))
                writer.writeBytes([6, 7, 8, 9])
                writer.writeRegion(FileRegion(fd: file.fd, offset: 4_999_990, count: 10))
                writer.patchInt32(Int32(writer.countSince(sizeAt + 4)), at: sizeAt)
                reply(.frame(OutgoingFrame(writer: writer) { written in outcomes.with { $0.append(written) } }))
            }
            let server = try startServer(handler: handler)
            let client = try RawClient(port: server.boundPort)
            let expected: [UInt8] = [1, 2, 3] + file.bytes[10..<110] + [4, 5] + file.bytes[1000..<4_001_000] + [6, 7, 8, 9]
                + file.bytes[4_999_990..<5_000_000]
            for _ in 0..<2 {
                try client.sendFrame([0])
                let response = try client.readFrame()
                #expect(response?.count == expected.count)
                #expect(response == expected)
            }
            #expect(await eventually { outcomes.current == [true, true] })
            await server.shutdown(timeout: .seconds(5))
        }

        /// The client reads part of a large spliced response and leaves: the server notices,
        /// closes quietly, releases the frame and keeps serving.
        @Test func clientLeavingMidResponse() async throws {
            let file = try temporaryFile(size: 8_000_000)
            defer { Glibc.close(file.fd) }
            let outcomes = Box<[Bool]>([])
            let log = LogRecorder()
            let handler = TestHandler { _, _, reply in
                var writer = ByteWriter()
                let sizeAt = writer.reserveInt32()
                writer.writeRegion(FileRegion(fd: file.fd, offset: 0, count: 8_000_000))
                writer.patchInt32(Int32(writer.countSince(sizeAt + 4)), at: sizeAt)
                reply(.frame(OutgoingFrame(writer: writer) { written in outcomes.with { $0.append(written) } }))
            }
            let server = try startServer(handler: handler, log: log) { $0.socketSendBufferBytes = 64 * 1024 }
            let leaving = try RawClient(port: server.boundPort, receiveBuffer: 64 * 1024)
            try leaving.sendFrame([0])
            #expect(try leaving.read(100_000) != nil)
            leaving.close()
            #expect(await eventually { outcomes.current == [false] })
            #expect(await eventually { server.metrics.snapshot.openConnections == 0 })
            #expect(log.all.isEmpty, "a peer leaving is not an error: \(log.all)")
            let staying = try RawClient(port: server.boundPort)
            try staying.sendFrame([0])
            #expect(try staying.readFrame() == file.bytes)
            await server.shutdown(timeout: .seconds(5))
        }

        /// A region that runs past the end of its file cannot fill its frame: the connection
        /// closes (with a log line) rather than sending a short frame.
        @Test func regionPastEndOfFileClosesTheConnection() async throws {
            let file = try temporaryFile(size: 1000)
            defer { Glibc.close(file.fd) }
            let log = LogRecorder()
            let handler = TestHandler { _, _, reply in
                var writer = ByteWriter()
                let sizeAt = writer.reserveInt32()
                writer.writeRegion(FileRegion(fd: file.fd, offset: 900, count: 200))
                writer.patchInt32(Int32(writer.countSince(sizeAt + 4)), at: sizeAt)
                reply(.frame(OutgoingFrame(writer: writer)))
            }
            let server = try startServer(handler: handler, log: log)
            let client = try RawClient(port: server.boundPort)
            try client.sendFrame([0])
            #expect(client.closedByPeer())
            #expect(log.count(containing: "ends early") == 1)
            await server.shutdown(timeout: .seconds(5))
        }
    }
}
