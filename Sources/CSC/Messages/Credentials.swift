/// `credentials/list` (CSC API v2 §11.4): the credentials the authenticated client may use.
public struct CredentialsListRequest: Codable, Sendable, Equatable {
    public var userID: String?
    /// Ask for each credential's details in `credentialInfos` as well.
    public var credentialInfo: Bool?
    /// `none`, `single` or `chain` (with `credentialInfo`).
    public var certificates: String?
    public var certInfo: Bool?
    public var authInfo: Bool?
    public var onlyValid: Bool?
    public var lang: String?
    public var clientData: String?

    public init(
        userID: String? = nil, credentialInfo: Bool? = nil, certificates: String? = nil, certInfo: Bool? = nil,
        authInfo: Bool? = nil, onlyValid: Bool? = nil, lang: String? = nil, clientData: String? = nil
    ) {
        self.userID = userID
        self.credentialInfo = credentialInfo
        self.certificates = certificates
        self.certInfo = certInfo
        self.authInfo = authInfo
        self.onlyValid = onlyValid
        self.lang = lang
        self.clientData = clientData
    }
}

public struct CredentialsListResponse: Codable, Sendable, Equatable {
    public var credentialIDs: [String]
    public var credentialInfos: [CredentialInfo]?
    public var onlyValid: Bool?

    public init(credentialIDs: [String], credentialInfos: [CredentialInfo]? = nil, onlyValid: Bool? = nil) {
        self.credentialIDs = credentialIDs
        self.credentialInfos = credentialInfos
        self.onlyValid = onlyValid
    }
}

/// `credentials/info` (CSC API v2 §11.5): one credential's key, certificate chain and how its
/// use is authorized.
public struct CredentialsInfoRequest: Codable, Sendable, Equatable {
    public var credentialID: String
    /// `none`, `single` or `chain`: the client asks for `chain`.
    public var certificates: String?
    public var certInfo: Bool?
    public var authInfo: Bool?
    public var lang: String?
    public var clientData: String?

    public init(
        credentialID: String, certificates: String? = "chain", certInfo: Bool? = true, authInfo: Bool? = true,
        lang: String? = nil, clientData: String? = nil
    ) {
        self.credentialID = credentialID
        self.certificates = certificates
        self.certInfo = certInfo
        self.authInfo = authInfo
        self.lang = lang
        self.clientData = clientData
    }
}

/// A credential as `credentials/info` answers it (and as `credentials/list` lists it, with
/// `credentialID`). v2 names: `key.algo`, `cert.certificates`, `auth.mode`, `multisign`.
/// `authMode` is the v1 name of `auth.mode`; it is read when a service still sends it.
public struct CredentialInfo: Codable, Sendable, Equatable {
    public var credentialID: String?
    public var description: String?
    public var signatureQualifier: String?
    public var key: Key
    public var cert: Cert?
    public var auth: Auth?
    /// CSC API v1's place for the authorization mode.
    public var authMode: String?
    /// `1` or `2`: whether the SAD is bound to the hashes it authorizes.
    public var scal: String?
    /// The most hashes one `signatures/signHash` call may carry (at least 1).
    public var multisign: Int
    public var lang: String?

    enum CodingKeys: String, CodingKey {
        case credentialID, description, signatureQualifier, key, cert, auth, authMode
        case scal = "SCAL"
        case multisign, lang
    }

    public struct Key: Codable, Sendable, Equatable {
        /// `enabled` or `disabled`.
        public var status: String?
        /// OIDs of the key's algorithms (a key algorithm such as rsaEncryption, or the signature
        /// algorithms it supports).
        public var algo: [String]
        /// The key length in bits.
        public var len: Int?
        /// The curve OID of an EC key.
        public var curve: String?

        public init(status: String? = "enabled", algo: [String], len: Int? = nil, curve: String? = nil) {
            self.status = status
            self.algo = algo
            self.len = len
            self.curve = curve
        }
    }

    public struct Cert: Codable, Sendable, Equatable {
        /// `valid`, `expired`, `revoked` or `suspended`.
        public var status: String?
        /// Base64 DER certificates, the credential's own first.
        public var certificates: [String]?
        public var issuerDN: String?
        public var serialNumber: String?
        public var subjectDN: String?
        /// GeneralizedTime text, as in the certificate (`20261203061042Z`).
        public var validFrom: String?
        public var validTo: String?

        public init(
            status: String? = "valid", certificates: [String]? = nil, issuerDN: String? = nil,
            serialNumber: String? = nil, subjectDN: String? = nil, validFrom: String? = nil, validTo: String? = nil
        ) {
            self.status = status
            self.certificates = certificates
            self.issuerDN = issuerDN
            self.serialNumber = serialNumber
            self.subjectDN = subjectDN
            self.validFrom = validFrom
            self.validTo = validTo
        }
    }

    public struct Auth: Codable, Sendable, Equatable {
        /// `implicit`, `explicit` or `oauth2code`.
        public var mode: String
        public var expression: String?
        public var objects: [AuthObject]?

        public init(mode: String, expression: String? = nil, objects: [AuthObject]? = nil) {
            self.mode = mode
            self.expression = expression
            self.objects = objects
        }
    }

    public struct AuthObject: Codable, Sendable, Equatable {
        public var type: String
        public var id: String?
        public var format: String?
        public var label: String?
        public var description: String?
    }

    public init(
        credentialID: String? = nil, description: String? = nil, signatureQualifier: String? = nil, key: Key,
        cert: Cert?, auth: Auth?, authMode: String? = nil, scal: String? = nil, multisign: Int, lang: String? = nil
    ) {
        self.credentialID = credentialID
        self.description = description
        self.signatureQualifier = signatureQualifier
        self.key = key
        self.cert = cert
        self.auth = auth
        self.authMode = authMode
        self.scal = scal
        self.multisign = multisign
        self.lang = lang
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        credentialID = try container.decodeIfPresent(String.self, forKey: .credentialID)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        signatureQualifier = try container.decodeIfPresent(String.self, forKey: .signatureQualifier)
        key = try container.decode(Key.self, forKey: .key)
        cert = try container.decodeIfPresent(Cert.self, forKey: .cert)
        auth = try container.decodeIfPresent(Auth.self, forKey: .auth)
        authMode = try container.decodeIfPresent(String.self, forKey: .authMode)
        // SCAL is a string in v2 ("1", "2"); some services send a number.
        if let text = try? container.decodeIfPresent(String.self, forKey: .scal) {
            scal = text
        } else {
            scal = try container.decodeIfPresent(Int.self, forKey: .scal).map(String.init)
        }
        // Absent means one signature per call.
        multisign = try container.decodeIfPresent(Int.self, forKey: .multisign) ?? 1
        lang = try container.decodeIfPresent(String.self, forKey: .lang)
    }

    /// `auth.mode`, or v1's `authMode`, or `implicit` when neither is given.
    public var authorizationMode: String { auth?.mode ?? authMode ?? "implicit" }
}
