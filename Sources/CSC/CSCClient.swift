import Crypto
import Foundation
import Logging

/// One client of a remote signing service (CSC API v2), authenticated with its OAuth 2.0 client
/// id and secret (client_credentials). It keeps its access token until shortly before it
/// expires and renews it once when the service answers 401. Only hashes leave: signHash and
/// credentials/authorize carry SHA-256 digests, never documents.
///
/// Thread safety: `Sendable`; calls may run concurrently (one token request at a time).
public final class CSCClient: Sendable {
    public let service: CSCService
    public let clientID: String
    private let clientSecret: String
    private let tokens: TokenSource
    private let logger: Logger

    public init(service: CSCService, clientID: String, clientSecret: String, logger: Logger) {
        self.service = service
        self.clientID = clientID
        self.clientSecret = clientSecret
        var logger = logger
        logger[metadataKey: "csc.client"] = "\(clientID)"
        self.logger = logger
        let request = TokenRequest(clientID: clientID, clientSecret: clientSecret)
        tokens = TokenSource { [service, logger] () async throws -> TokenResponse in
            try await Self.requestToken(request, service: service, logger: logger)
        }
    }

    /// Token requests this client has made (cached tokens are not counted).
    public var tokenRequests: Int {
        get async { await tokens.requests }
    }

    /// `credentials/list`: the ids of the credentials this client may use.
    public func listCredentials() async throws(CSCError) -> [String] {
        let response: CredentialsListResponse = try await call(
            "credentials/list", CredentialsListRequest(), secrets: [])
        return response.credentialIDs
    }

    /// `credentials/info` with the whole chain: the credential, checked to be usable now.
    /// Throws `.certificateUnusable` for an expired, revoked or suspended certificate or a
    /// disabled key, `.credentialNotAllowed` for an unknown or foreign credential.
    public func credential(_ credentialID: String) async throws(CSCError) -> CSCCredential {
        let info: CredentialInfo = try await call(
            "credentials/info", CredentialsInfoRequest(credentialID: credentialID), secrets: [])
        return try CSCCredential.from(info, id: credentialID)
    }

    /// The credential named `credentialID`, or when none is named the first one
    /// `credentials/list` gives this client.
    public func credential(named credentialID: String?) async throws(CSCError) -> CSCCredential {
        if let credentialID { return try await credential(credentialID) }
        guard let first = try await listCredentials().first else {
            throw .credentialNotAllowed("the remote account lists no credential")
        }
        return try await credential(first)
    }

    /// `credentials/authorize`: Signature Activation Data for exactly these hashes, for a
    /// credential whose authorization mode is explicit.
    public func authorize(credentialID: String, hashes: [SHA256.Digest]) async throws(CSCError)
        -> SignatureActivationData
    {
        let encoded = hashes.map { Data($0).base64EncodedString() }
        let response: CredentialsAuthorizeResponse = try await call(
            "credentials/authorize",
            CredentialsAuthorizeRequest(
                credentialID: credentialID, numSignatures: hashes.count, hashes: encoded,
                hashAlgorithmOID: CSCSignatureAlgorithm.sha256OID),
            secrets: encoded)
        guard !response.sad.isEmpty else { throw .protocolError("credentials/authorize gave an empty SAD") }
        return SignatureActivationData(value: response.sad, expiresIn: response.expiresIn)
    }

    /// `signatures/signHash` for one batch (at most the credential's multisign): one signature
    /// per hash, in order, as CMS carries it (PKCS#1 v1.5 or PSS bytes for RSA; DER
    /// `ECDSA-Sig-Value` for ECDSA, converted when the service answers raw `r || s`).
    public func signHash(
        _ hashes: [SHA256.Digest], credentialID: String, algorithm: CSCSignatureAlgorithm,
        sad: SignatureActivationData? = nil
    ) async throws(CSCError) -> [[UInt8]] {
        guard !hashes.isEmpty else { return [] }
        let encoded = hashes.map { Data($0).base64EncodedString() }
        let request = SignHashRequest(
            credentialID: credentialID, sad: sad?.value, hashes: encoded,
            hashAlgorithmOID: CSCSignatureAlgorithm.sha256OID, signAlgo: algorithm.oid,
            signAlgoParams: algorithm.parametersDER.map { Data($0).base64EncodedString() })
        let response: SignHashResponse = try await call(
            "signatures/signHash", request, secrets: encoded + (sad.map { [$0.value] } ?? []))
        guard let signatures = response.signatures else {
            throw .protocolError("signatures/signHash gave no signatures (asynchronous operation is not supported)")
        }
        guard signatures.count == hashes.count else {
            throw .protocolError(
                "signatures/signHash gave \(signatures.count) signatures for \(hashes.count) hashes")
        }
        var result: [[UInt8]] = []
        result.reserveCapacity(signatures.count)
        for text in signatures {
            guard let bytes = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !bytes.isEmpty else {
                throw .protocolError("signatures/signHash gave a signature that is not base64")
            }
            if algorithm == .ecdsaSHA256 {
                guard let der = ECDSASignatureForm.der(Array(bytes)) else {
                    throw .protocolError("signatures/signHash gave an ECDSA signature neither DER nor raw r||s")
                }
                result.append(der)
            } else {
                result.append(Array(bytes))
            }
        }
        return result
    }

    /// Signs any number of hashes with `credential`: batches of at most its multisign, each
    /// authorized first when its mode is explicit. One failure fails the whole call.
    public func sign(_ hashes: [SHA256.Digest], with credential: CSCCredential, algorithm: CSCSignatureAlgorithm)
        async throws(CSCError) -> [[UInt8]]
    {
        var signatures: [[UInt8]] = []
        signatures.reserveCapacity(hashes.count)
        var start = hashes.startIndex
        while start < hashes.endIndex {
            let end = min(start + credential.multisign, hashes.endIndex)
            let batch = Array(hashes[start..<end])
            let sad: SignatureActivationData? =
                credential.authorizationMode == .explicit
                ? try await authorize(credentialID: credential.id, hashes: batch) : nil
            signatures += try await signHash(batch, credentialID: credential.id, algorithm: algorithm, sad: sad)
            start = end
        }
        return signatures
    }

    /// POSTs `request` as JSON with the access token; on 401 renews the token once and retries.
    private func call<Request: Encodable, Response: Decodable>(
        _ method: String, _ request: Request, secrets: [String]
    ) async throws(CSCError) -> Response {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(request))
        } catch {
            throw .protocolError("\(method): cannot encode the request")
        }
        var token = try await tokens.token()
        var renewed = false
        while true {
            let exchange = try await service.post(
                method, url: service.apiBase + method, body: body, contentType: "application/json", bearer: token)
            if exchange.status == 401 && !renewed {
                logger.notice("CSC access token refused: renewing it once", metadata: ["csc.method": "\(method)"])
                await tokens.invalidate(token)
                token = try await tokens.token()
                renewed = true
                continue
            }
            guard exchange.status == 200 else {
                let error = CSCError.fromAPI(
                    method: method, status: exchange.status, body: exchange.body, retryAfter: exchange.retryAfter,
                    redacting: secrets + [token, clientSecret])
                logger.warning(
                    "CSC call refused", metadata: ["csc.method": "\(method)", "csc.error": "\(error)"])
                throw error
            }
            do {
                return try JSONDecoder().decode(Response.self, from: Data(exchange.body))
            } catch {
                throw .protocolError("\(method): the answer is not the expected JSON object")
            }
        }
    }

    private static func requestToken(_ request: TokenRequest, service: CSCService, logger: Logger)
        async throws(CSCError) -> TokenResponse
    {
        let url = try await service.tokenURL()
        let exchange = try await service.post(
            "oauth2/token", url: url, body: Array(request.formBody.utf8),
            contentType: "application/x-www-form-urlencoded", bearer: nil)
        guard exchange.status == 200 else {
            let error = CSCError.fromTokenEndpoint(
                status: exchange.status, body: exchange.body, retryAfter: exchange.retryAfter,
                redacting: [request.clientSecret])
            logger.warning("CSC token request refused", metadata: ["csc.error": "\(error)"])
            throw error
        }
        let response: TokenResponse
        do {
            response = try JSONDecoder().decode(TokenResponse.self, from: Data(exchange.body))
        } catch {
            throw .protocolError("oauth2/token: the answer is not an OAuth 2.0 token")
        }
        guard !response.accessToken.isEmpty else { throw .protocolError("oauth2/token gave an empty access token") }
        if let type = response.tokenType, type.lowercased() != "bearer" {
            throw .protocolError("oauth2/token gave a \(type) token; only Bearer tokens are supported")
        }
        logger.debug("CSC access token obtained", metadata: ["csc.expires_in": "\(response.expiresIn ?? -1)"])
        return response
    }
}

/// Signature Activation Data from `credentials/authorize`. Never printed.
public struct SignatureActivationData: Sendable, Equatable, CustomStringConvertible {
    let value: String
    /// Seconds it stays valid, as the service said.
    public let expiresIn: Int?

    public var description: String { "SignatureActivationData(<redacted>)" }
}
