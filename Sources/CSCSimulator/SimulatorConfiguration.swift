import Foundation

/// What the simulator serves: its clients (OAuth 2.0 client id and secret) and their
/// credentials, read from a JSON file (docs/remote-signing.md), plus the run-time flags.
public struct SimulatorConfiguration: Sendable, Equatable {
    public var clients: [String: Client]
    /// `expires_in` of the access tokens it issues, in seconds.
    public var tokenLifetime: Int
    /// `expiresIn` of the SADs it issues, in seconds.
    public var sadLifetime: Int

    public struct Client: Codable, Sendable, Equatable {
        public var secret: String
        public var credentials: [Credential]

        public init(secret: String, credentials: [Credential]) {
            self.secret = secret
            self.credentials = credentials
        }
    }

    public struct Credential: Codable, Sendable, Equatable {
        public enum KeyType: String, Codable, Sendable {
            case rsa
            case p256
        }

        public enum AuthMode: String, Codable, Sendable {
            case implicit
            case explicit
        }

        public enum ECDSASignatureForm: String, Codable, Sendable {
            /// DER `ECDSA-Sig-Value`.
            case der
            /// `r || s`, 32 bytes each.
            case raw
        }

        public var id: String
        public var key: KeyType
        public var authMode: AuthMode
        public var multisign: Int
        public var ecdsaSignature: ECDSASignatureForm
        /// The certificate is issued already expired (a credential that cannot sign).
        public var expired: Bool

        public init(
            id: String, key: KeyType, authMode: AuthMode = .implicit, multisign: Int = 1,
            ecdsaSignature: ECDSASignatureForm = .der, expired: Bool = false
        ) {
            self.id = id
            self.key = key
            self.authMode = authMode
            self.multisign = multisign
            self.ecdsaSignature = ecdsaSignature
            self.expired = expired
        }

        enum CodingKeys: String, CodingKey {
            case id, key, authMode, multisign, ecdsaSignature, expired
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            key = try container.decode(KeyType.self, forKey: .key)
            authMode = try container.decodeIfPresent(AuthMode.self, forKey: .authMode) ?? .implicit
            multisign = try container.decodeIfPresent(Int.self, forKey: .multisign) ?? 1
            ecdsaSignature = try container.decodeIfPresent(ECDSASignatureForm.self, forKey: .ecdsaSignature) ?? .der
            expired = try container.decodeIfPresent(Bool.self, forKey: .expired) ?? false
        }
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(clients: [String: Client], tokenLifetime: Int = 3600, sadLifetime: Int = 300) throws {
        self.clients = clients
        self.tokenLifetime = tokenLifetime
        self.sadLifetime = sadLifetime
        try validate()
    }

    /// One client `signet` (secret `signet-secret`) with an RSA and a P-256 credential, both
    /// implicitly authorized, 100 hashes per call.
    public static var demo: SimulatorConfiguration {
        get throws {
            try SimulatorConfiguration(clients: [
                "signet": Client(
                    secret: "signet-secret",
                    credentials: [
                        Credential(id: "signet-rsa", key: .rsa, multisign: 100),
                        Credential(id: "signet-p256", key: .p256, multisign: 100),
                    ])
            ])
        }
    }

    private struct File: Codable {
        var clients: [String: Client]
        var tokenLifetime: Int?
        var sadLifetime: Int?
    }

    public init(json: Data) throws {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: json)
        } catch {
            throw Invalid(description: "not a simulator configuration: \(error)")
        }
        try self.init(
            clients: file.clients, tokenLifetime: file.tokenLifetime ?? 3600, sadLifetime: file.sadLifetime ?? 300)
    }

    public init(file: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw Invalid(description: "cannot read \(file): \(error.localizedDescription)")
        }
        do {
            try self.init(json: data)
        } catch let invalid as Invalid {
            throw Invalid(description: "\(file): \(invalid.description)")
        }
    }

    private static let idCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

    func validate() throws {
        guard (1...86_400).contains(tokenLifetime) else {
            throw Invalid(description: "tokenLifetime must be 1...86400 seconds, not \(tokenLifetime)")
        }
        guard (1...86_400).contains(sadLifetime) else {
            throw Invalid(description: "sadLifetime must be 1...86400 seconds, not \(sadLifetime)")
        }
        var seen: Set<String> = []
        for (clientID, client) in clients {
            guard !clientID.isEmpty, !client.secret.isEmpty else {
                throw Invalid(description: "client ids and secrets must not be empty")
            }
            for credential in client.credentials {
                // The id names the exported <id>.pem file.
                guard !credential.id.isEmpty, credential.id.count <= 128, !credential.id.hasPrefix("."),
                    credential.id.allSatisfy(Self.idCharacters.contains)
                else {
                    throw Invalid(
                        description: "credential id '\(credential.id)': use letters, digits, '-', '_' and '.' only")
                }
                guard seen.insert(credential.id).inserted else {
                    throw Invalid(description: "credential id '\(credential.id)' is used twice")
                }
                guard (1...10_000).contains(credential.multisign) else {
                    throw Invalid(description: "credential \(credential.id): multisign must be 1...10000")
                }
            }
        }
    }
}

/// The simulator's run-time behaviour, from its flags.
public struct SimulatorOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0: any free port (printed on the first line of stdout).
    public var port = 0
    /// Added to every signHash.
    public var latency: Duration = .zero
    /// The fraction of signHash calls answered with `failStatus` (and `Retry-After: 1`).
    public var failRate = 0.0
    public var failStatus = 503
    /// The first this many signHash calls fail that way.
    public var failFirst = 0
    /// JSON lines of sizes, one per request.
    public var logFile: String?
    /// Where each credential's chain (`<id>.pem`) and the CA (`ca.pem`) are written.
    public var exportDirectory: String?
    /// Overrides the configuration's `tokenLifetime`.
    public var tokenLifetime: Int?
    /// Serve HTTPS with a certificate for localhost and 127.0.0.1 from the simulator's CA.
    public var tls = false

    public init() {}
}
