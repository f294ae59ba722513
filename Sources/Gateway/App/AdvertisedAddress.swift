import Foundation
import Signing

/// The host:port this gateway tells clients (`--server.host.port`), the URLs built on it, and the
/// operation ids it mints: `<instance>-<random>`, where the instance tag names this gateway.
struct AdvertisedAddress: Sendable {
    let host: String
    let port: Int
    let instanceTag: String

    init(host: String, port: Int) {
        self.host = host
        self.port = port
        self.instanceTag = String(sha256Hex(Array("\(host):\(port)".utf8)).prefix(8))
    }

    func url(_ path: String) -> String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "http://\(hostPart):\(port)\(path)"
    }

    /// The instance tag an operation id names, if it has the shape this build mints.
    static func instanceTag(ofOperation id: String) -> Substring? {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, isInstanceTag(parts[0]), parts[1].count == 32, isLowercaseHex(parts[1]) else {
            return nil
        }
        return parts[0]
    }

    static func isInstanceTag(_ text: some StringProtocol) -> Bool { text.utf8.count == 8 && isLowercaseHex(text) }

    private static func isLowercaseHex(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    func newOperationID() -> String {
        "\(instanceTag)-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }
}
