/// What a log borrows from its surroundings: where messages go, what time it is, and the I/O
/// counters. Tests inject a fixed clock and a collecting sink.
public struct LogEnvironment: Sendable {
    /// One line per event worth an operator's attention (recovery, truncation, deletion).
    public var log: @Sendable (String) -> Void
    /// Milliseconds since the epoch.
    public var clock: @Sendable () -> Int64
    public var stats: IOStats

    public init(
        log: @escaping @Sendable (String) -> Void = { _ in },
        clock: @escaping @Sendable () -> Int64 = { LogEnvironment.wallClockMs() },
        stats: IOStats = IOStats()
    ) {
        self.log = log
        self.clock = clock
        self.stats = stats
    }

    public static func wallClockMs() -> Int64 { Posix.nowMs() }
}
