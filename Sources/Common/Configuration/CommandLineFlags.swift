import Foundation

/// Command-line flags in the forms Signet accepts: `--name=value` and `--name value`
/// (Sign'Stash's docker command uses the first, people type the second).
public struct CommandLineFlags: Sendable {
    public private(set) var values: [String: String] = [:]
    /// Every value of each flag, in order (`values` keeps the last).
    private var all: [String: [String]] = [:]
    private var consumed: Set<String> = []

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// `switches` are flags without a value (`--help`).
    public init(_ arguments: [String], switches: Set<String> = ["help"]) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw Problem("unexpected argument '\(argument)' (flags look like --name=value)")
            }
            let body = argument.dropFirst(2)
            let name: String
            let value: String
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else if switches.contains(String(body)) {
                name = String(body)
                value = "true"
            } else if index < arguments.count {
                name = String(body)
                value = arguments[index]
                index += 1
            } else {
                throw Problem("flag --\(body) needs a value")
            }
            values[name] = value
            all[name, default: []].append(value)
        }
    }

    public mutating func string(_ name: String) -> String? {
        consumed.insert(name)
        return values[name]
    }

    /// A repeatable flag: every value given, each also split at commas, empty ones dropped.
    public mutating func list(_ name: String) -> [String] {
        consumed.insert(name)
        return (all[name] ?? []).flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    public mutating func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem(
                "--\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), not '\(text)'")
        }
        return value
    }

    public mutating func seconds(_ name: String, in range: ClosedRange<Double>) throws -> Duration? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw Problem(
                "--\(name) must be a number of seconds in \(range.lowerBound)...\(range.upperBound), not '\(text)'")
        }
        return .milliseconds(Int64(value * 1000))
    }

    public mutating func double(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw Problem("--\(name) must be a number in \(range.lowerBound)...\(range.upperBound), not '\(text)'")
        }
        return value
    }

    public mutating func bool(_ name: String) throws -> Bool? {
        guard let text = string(name) else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw Problem("--\(name) must be true or false, not '\(text)'")
        }
    }

    /// One of `choices`, compared case-insensitively and returned lowercased.
    public mutating func choice(_ name: String, in choices: [String]) throws -> String? {
        guard let text = string(name) else { return nil }
        guard choices.contains(text.lowercased()) else {
            throw Problem("--\(name) must be one of \(choices.joined(separator: ", ")), not '\(text)'")
        }
        return text.lowercased()
    }

    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Fails on any flag no component read: a typo must not be silently ignored.
    public func checkAllUsed() throws {
        let unknown = Set(values.keys).subtracting(consumed).sorted()
        if !unknown.isEmpty {
            throw Problem(
                "unknown flag\(unknown.count > 1 ? "s" : ""): " + unknown.map { "--\($0)" }.joined(separator: ", "))
        }
    }
}
