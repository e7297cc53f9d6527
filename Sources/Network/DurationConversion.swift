import Dispatch

extension Duration {
    /// Whole nanoseconds, saturating at the ends of `Int` (negative durations give 0).
    var nanosecondsClamped: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? .max : Int(total)
    }

    var dispatchInterval: DispatchTimeInterval { .nanoseconds(nanosecondsClamped) }
}
