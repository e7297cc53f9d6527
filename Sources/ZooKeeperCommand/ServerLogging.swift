import Logging

/// Log lines to standard error at `info`, as both servers log (swift-log's stream handler), and
/// the logger for `label`. Call once, before anything logs.
public func bootstrapServerLogging(label: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .info
        return handler
    }
    return Logger(label: label)
}
