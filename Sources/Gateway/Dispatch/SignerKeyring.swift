import Common
import Foundation

/// Which signers may connect to the signer endpoint: the CURVE public keys in the signer-keys
/// folder (one Z85 key per file, comments allowed) and the key of this gateway's local signers.
/// An unknown key makes it read the folder again, so a signer can be added without a restart (a
/// handshake costs the peer more than reading a few small files costs us); each refused key is
/// reported once, not at every reconnect.
struct SignerKeyring: Sendable {
    let directory: String
    private(set) var fileKeys: [String: String]
    private let localKey: String?
    private var refused: Set<String> = []

    enum Decision: Equatable {
        /// Admitted; `name` says which file (or the local signers) authorized the key.
        case admitted(name: String)
        /// Refused; `firstTime` when this key was not refused before (log it).
        case refused(firstTime: Bool)
    }

    init(directory: String, localKey: String?) throws {
        self.directory = directory
        self.localKey = localKey
        fileKeys = try Self.scan(directory)
    }

    /// Public key → file name for every file in `directory` (none when it does not exist).
    static func scan(_ directory: String) throws -> [String: String] {
        let files = FileManager.default
        guard files.fileExists(atPath: directory) else { return [:] }
        var keys: [String: String] = [:]
        for name in try files.contentsOfDirectory(atPath: directory).sorted() where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            keys[try CurveKeyPair.readKey(file: path)] = name
        }
        return keys
    }

    mutating func decide(_ key: String?) -> Decision {
        guard let key else { return .refused(firstTime: remember("")) }
        if key == localKey { return .admitted(name: "local signers") }
        if let name = fileKeys[key] { return .admitted(name: name) }
        if let keys = try? Self.scan(directory) {
            fileKeys = keys
            if let name = keys[key] {
                refused.remove(key)
                return .admitted(name: name)
            }
        }
        return .refused(firstTime: remember(key))
    }

    /// Records a refused key; past a bound, keys are no longer remembered (nor logged).
    private mutating func remember(_ key: String) -> Bool {
        refused.count < 10_000 && refused.insert(key).inserted
    }
}
