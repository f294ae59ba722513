import Crypto
import Foundation

/// The host:port this gateway tells clients (`--server.host.port`), the URLs built on it, and the
/// instance number its operation ids carry (`--instance-id`, else derived from host:port; see
/// `OperationIDs`).
struct AdvertisedAddress: Sendable {
    let host: String
    let port: Int
    let instance: Int

    init(host: String, port: Int, instance: Int? = nil) {
        self.host = host
        self.port = port
        let digest = Array(SHA256.hash(data: Array("\(host):\(port)".utf8)))
        self.instance = instance ?? (Int(digest[0]) << 8 | Int(digest[1])) % OperationIDs.instances.count
    }

    func url(_ path: String) -> String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "http://\(hostPart):\(port)\(path)"
    }
}
