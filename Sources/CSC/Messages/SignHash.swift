/// `signatures/signHash` (CSC API v2 §11.10): signatures of hashes computed here. The hashes are
/// all that leaves the premises.
public struct SignHashRequest: Codable, Sendable, Equatable, CustomStringConvertible {
    public var credentialID: String
    /// Signature Activation Data from `credentials/authorize`, for explicitly authorized
    /// credentials.
    public var sad: String?
    /// Base64 hashes, at most the credential's `multisign`.
    public var hashes: [String]
    public var hashAlgorithmOID: String?
    /// The signature algorithm OID (one of the credential's `key.algo` or implied by it).
    public var signAlgo: String
    /// Base64 DER algorithm parameters (RSASSA-PSS-params for RSA-PSS).
    public var signAlgoParams: String?
    /// `S` (synchronous, the default) or `A`.
    public var operationMode: String?
    public var clientData: String?

    enum CodingKeys: String, CodingKey {
        case credentialID
        case sad = "SAD"
        case hashes, hashAlgorithmOID, signAlgo, signAlgoParams, operationMode, clientData
    }

    public init(
        credentialID: String, sad: String?, hashes: [String], hashAlgorithmOID: String?, signAlgo: String,
        signAlgoParams: String?, operationMode: String? = nil, clientData: String? = nil
    ) {
        self.credentialID = credentialID
        self.sad = sad
        self.hashes = hashes
        self.hashAlgorithmOID = hashAlgorithmOID
        self.signAlgo = signAlgo
        self.signAlgoParams = signAlgoParams
        self.operationMode = operationMode
        self.clientData = clientData
    }

    /// Sizes only: neither the SAD nor the hashes are printed.
    public var description: String {
        "SignHashRequest(credentialID: \(credentialID), SAD: \(sad == nil ? "none" : "<redacted>"), hashes: \(hashes.count), signAlgo: \(signAlgo))"
    }
}

public struct SignHashResponse: Codable, Sendable, Equatable {
    /// Base64 signatures, one per hash, in the order of the request.
    public var signatures: [String]?
    /// For asynchronous operation (`operationMode` `A`), which Signet does not use.
    public var responseID: String?

    public init(signatures: [String]?, responseID: String? = nil) {
        self.signatures = signatures
        self.responseID = responseID
    }
}
