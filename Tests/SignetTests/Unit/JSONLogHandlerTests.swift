import Foundation
import Logging
import Testing

@testable import Common

/// `--log-format json`: each line is one JSON object that a JSON parser reads back exactly,
/// whatever the message and metadata hold.
struct JSONLogHandlerTests {
    static func parse(_ line: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
    }

    static func event(_ message: Logger.Message, _ metadata: Logger.Metadata?, error: (any Error)? = nil) -> LogEvent {
        LogEvent(
            level: .notice, message: message, error: error, metadata: metadata, source: "Gateway", file: "f.swift",
            function: "f()", line: 1)
    }

    @Test func aLineHoldsTheFixedFieldsAndEveryMetadataKey() throws {
        var handler = JSONLogHandler(label: "signet.gateway", level: .info)
        handler[metadataKey: "request.id"] = "r-1"
        handler[metadataKey: "document.index"] = "from the logger"
        let line = handler.render(
            Self.event(
                "document not signed",
                [
                    "operation.id": "281474976711657", "document.index": "3", "job.attempt": "2",
                    "list": .array([.string("a"), .stringConvertible(1)]),
                    "nested": ["key": "value"],
                ]),
            at: timespec(tv_sec: 1_796_289_161, tv_nsec: 123_456_789))
        #expect(!line.contains(UInt8(ascii: "\n")))
        let json = try Self.parse(line)
        #expect(json["timestamp"] as? String == "2026-12-03T09:12:41.123Z")
        #expect(json["level"] as? String == "notice")
        #expect(json["label"] as? String == "signet.gateway")
        #expect(json["message"] as? String == "document not signed")
        #expect(json["source"] as? String == "Gateway")
        #expect(json["operation.id"] as? String == "281474976711657")
        // The message's metadata wins over the logger's.
        #expect(json["document.index"] as? String == "3")
        #expect(json["job.attempt"] as? String == "2")
        #expect(json["request.id"] as? String == "r-1")
        #expect(json["list"] as? [String] == ["a", "1"])
        #expect(json["nested"] as? [String: String] == ["key": "value"])
    }

    @Test func awkwardTextIsEscapedAndReservedKeysAreNotShadowed() throws {
        let awkward = "quote \" backslash \\ newline \n return \r tab \t bell \u{07} nul \u{00} del \u{7F} é 🚀"
        struct Failure: Error, CustomStringConvertible { var description: String { "broken\nline" } }
        let line = JSONLogHandler(label: "l\"abel").render(
            Self.event(
                "\(awkward)", ["message": "shadow", "level": "shadow", "key \"x\"": "\(awkward)"], error: Failure()),
            at: timespec(tv_sec: 0, tv_nsec: 0))
        #expect(!line.contains(UInt8(ascii: "\n")) && !line.contains(UInt8(ascii: "\r")))
        let json = try Self.parse(line)
        #expect(json["message"] as? String == awkward)
        #expect(json["label"] as? String == "l\"abel")
        #expect(json["level"] as? String == "notice")
        #expect(json["metadata.message"] as? String == "shadow")
        #expect(json["metadata.level"] as? String == "shadow")
        #expect(json["key \"x\""] as? String == awkward)
        #expect(json["error.message"] as? String == "broken\nline")
        #expect(json["timestamp"] as? String == "1970-01-01T00:00:00.000Z")
    }
}
