import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Writes each log message as one line of JSON to standard error (`--log-format json`):
///
///     {"timestamp":"2026-12-03T09:46:01.123Z","level":"info","label":"signet.gateway",
///      "message":"operation accepted","source":"Gateway","operation.id":"…","request.id":"…"}
///
/// `timestamp` (UTC, milliseconds), `level`, `label`, `message` and `source` come first, then
/// every metadata key at the top level under its own dotted name (`operation.id`,
/// `document.index`, `job.attempt`), so a collector indexes them without knowing Signet. A
/// metadata key that would shadow one of the five is written as `metadata.KEY`. Values are JSON
/// strings; metadata arrays and dictionaries become JSON arrays and objects.
///
/// A line is written with one `write(2)` under a lock shared by every handler of the process, so
/// lines from different threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, level: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = render(event, at: Self.now())
        line.append(UInt8(ascii: "\n"))
        Self.output.withLock { _ in
            line.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                var written = 0
                while written < bytes.count {
                    let n = write(STDERR_FILENO, base + written, bytes.count - written)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return }
                    written += n
                }
            }
        }
    }

    private static let output = Locked(())
    static let reservedKeys: Set<String> = ["timestamp", "level", "label", "message", "source"]

    /// The JSON object for one message, without the line feed.
    func render(_ event: LogEvent, at time: timespec) -> [UInt8] {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var json = JSONWriter()
        json.bytes.reserveCapacity(256)
        json.bytes.append(UInt8(ascii: "{"))
        json.field("timestamp", first: true)
        json.string(Self.timestamp(time))
        json.field("level")
        json.string(event.level.rawValue)
        json.field("label")
        json.string(label)
        json.field("message")
        json.string(event.message.description)
        json.field("source")
        json.string(event.source)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            json.field(Self.reservedKeys.contains(key) ? "metadata." + key : key)
            json.value(value)
        }
        json.bytes.append(UInt8(ascii: "}"))
        return json.bytes
    }

    /// The wall clock now.
    static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }

    /// ISO 8601 in UTC with milliseconds: `2026-12-03T09:46:01.123Z`.
    static func timestamp(_ time: timespec) -> String {
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))"
            + "T\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2))"
            + ".\(padded(Int32(time.tv_nsec / 1_000_000), 3))Z"
    }
}

/// The few pieces of JSON a log line needs, escaped as RFC 8259 requires.
struct JSONWriter {
    var bytes: [UInt8] = []

    mutating func field(_ name: String, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func value(_ value: Logger.Metadata.Value) {
        switch value {
        case .string(let text):
            string(text)
        case .stringConvertible(let convertible):
            string(convertible.description)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, element)) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
                field(key, first: index == 0)
                self.value(element)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped; everything else as
    /// its UTF-8 bytes.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
