/// `credentials/authorize` (CSC API v2 §11.6): Signature Activation Data (SAD) for a number of
/// signatures, bound to the hashes it will sign (SCAL 2).
public struct CredentialsAuthorizeRequest: Codable, Sendable, Equatable, CustomStringConvertible {
    public var credentialID: String
    public var numSignatures: Int
    /// Base64 hashes the SAD may sign.
    public var hashes: [String]?
    public var hashAlgorithmOID: String?
    /// PINs and OTPs for explicit authorization (`[{"id": "PIN", "value": "…"}]`).
    public var authData: [AuthData]?
    /// The CSC `description` field: what the signatures are for, shown to a user where one
    /// authorizes (named `purpose` here so that `description` can print sizes only).
    public var purpose: String?
    public var clientData: String?

    enum CodingKeys: String, CodingKey {
        case credentialID, numSignatures, hashes, hashAlgorithmOID, authData
        case purpose = "description"
        case clientData
    }

    public struct AuthData: Codable, Sendable, Equatable {
        public var id: String
        public var value: String

        public init(id: String, value: String) {
            self.id = id
            self.value = value
        }
    }

    public init(
        credentialID: String, numSignatures: Int, hashes: [String]?, hashAlgorithmOID: String?,
        authData: [AuthData]? = nil, purpose: String? = nil, clientData: String? = nil
    ) {
        self.credentialID = credentialID
        self.numSignatures = numSignatures
        self.hashes = hashes
        self.hashAlgorithmOID = hashAlgorithmOID
        self.authData = authData
        self.purpose = purpose
        self.clientData = clientData
    }

    /// Sizes only: hashes and authorization data are never printed.
    public var description: String {
        "CredentialsAuthorizeRequest(credentialID: \(credentialID), numSignatures: \(numSignatures), hashes: \(hashes?.count ?? 0))"
    }
}

public struct CredentialsAuthorizeResponse: Codable, Sendable, Equatable, CustomStringConvertible {
    public var sad: String
    /// Seconds the SAD stays valid.
    public var expiresIn: Int?

    enum CodingKeys: String, CodingKey {
        case sad = "SAD"
        case expiresIn
    }

    public init(sad: String, expiresIn: Int?) {
        self.sad = sad
        self.expiresIn = expiresIn
    }

    public var description: String { "CredentialsAuthorizeResponse(SAD: <redacted>, expiresIn: \(expiresIn ?? -1))" }
}
