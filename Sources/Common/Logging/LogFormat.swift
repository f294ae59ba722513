import Logging

/// How a Signet process writes its log to standard error (`--log-format`): swift-log's text
/// lines for people, or one JSON object per line for a log collector.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// The `--log-format` values, for `CommandLineFlags.choice`.
    public static let names = allCases.map(\.rawValue)

    /// Bootstraps swift-log for the whole process: every `Logger` made afterwards writes in this
    /// format, at `level` and above. Call it once, from `main`, before any logger is made.
    public func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        }
    }
}
