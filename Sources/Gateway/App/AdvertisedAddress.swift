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

    func newOperationID() -> String {
        "\(instanceTag)-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }
}
