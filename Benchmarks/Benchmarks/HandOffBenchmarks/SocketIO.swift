#if canImport(Glibc)
import Glibc
#endif

/// Reads exactly `count` bytes from a blocking socket; false at end of stream.
func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Bool {
    var done = 0
    while done < count {
        let got = read(fd, buffer + done, count - done)
        if got <= 0 {
            if got < 0 && errno == EINTR { continue }
            return false
        }
        done += got
    }
    return true
}

/// Writes all of `count` bytes; a loopback socket's buffer always has room for one message.
func writeFully(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) {
    var done = 0
    while done < count {
        let put = write(fd, buffer + done, count - done)
        if put < 0 {
            if errno == EINTR || errno == EAGAIN { continue }
            fatalError("write failed: \(errno)")
        }
        done += put
    }
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
