/// `info` (CSC API v2 §11.1): what the remote service is and where its OAuth 2.0 server is.
/// Only `oauth2` is used by the client; the other fields are kept for logs and checks. All are
/// optional when decoding: a service that omits a field it should send is still usable.
public struct InfoRequest: Codable, Sendable, Equatable {
    public var lang: String?

    public init(lang: String? = nil) { self.lang = lang }
}

public struct InfoResponse: Codable, Sendable, Equatable {
    public var specs: String?
    public var name: String?
    public var logo: String?
    public var region: String?
    public var lang: String?
    public var description: String?
    /// `external`, `TLS`, `basic`, `digest`, `oauth2code`, `oauth2client`.
    public var authType: [String]?
    /// The base URI of the service's OAuth 2.0 server (`oauth2/token` is under it).
    public var oauth2: String?
    public var oauth2Issuer: String?
    public var asynchronousOperationMode: Bool?
    /// The API methods the service implements (`credentials/list`, `signatures/signHash`, …).
    public var methods: [String]?
    public var validationInfo: Bool?
    public var signAlgorithms: SignAlgorithms?

    public struct SignAlgorithms: Codable, Sendable, Equatable {
        public var algos: [String]
        public var algoParams: [String]?

        public init(algos: [String], algoParams: [String]? = nil) {
            self.algos = algos
            self.algoParams = algoParams
        }
    }

    public init(
        specs: String? = nil, name: String? = nil, logo: String? = nil, region: String? = nil, lang: String? = nil,
        description: String? = nil, authType: [String]? = nil, oauth2: String? = nil, oauth2Issuer: String? = nil,
        asynchronousOperationMode: Bool? = nil, methods: [String]? = nil, validationInfo: Bool? = nil,
        signAlgorithms: SignAlgorithms? = nil
    ) {
        self.specs = specs
        self.name = name
        self.logo = logo
        self.region = region
        self.lang = lang
        self.description = description
        self.authType = authType
        self.oauth2 = oauth2
        self.oauth2Issuer = oauth2Issuer
        self.asynchronousOperationMode = asynchronousOperationMode
        self.methods = methods
        self.validationInfo = validationInfo
        self.signAlgorithms = signAlgorithms
    }
}
