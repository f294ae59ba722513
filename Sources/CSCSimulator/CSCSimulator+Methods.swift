import CSC
import Crypto
import Foundation
import HTTPTypes
import SwiftASN1
import X509

/// The CSC API v2 methods, as the simulator answers them. Error texts follow the CSC
/// specification's (`invalid_request` / `Invalid parameter credentialID`, …).
extension CSCSimulator {
    func info(authority: String?) -> Reply {
        let scheme = options.tls ? "https" : "http"
        return .json(
            InfoResponse(
                specs: "2.0.0.2", name: "Signet CSC simulator", logo: "", region: "EU", lang: "en-US",
                description: "A CSC API v2 test double with software keys: not for real documents",
                authType: ["oauth2client"], oauth2: authority.map { "\(scheme)://\($0)/" },
                asynchronousOperationMode: false,
                methods: Method.allCases.filter { $0 != .info && $0 != .token }.map(\.rawValue) + ["oauth2/token"],
                validationInfo: false,
                signAlgorithms: .init(
                    algos: CSCSignatureAlgorithm.allCases.map(\.oid),
                    algoParams: CSCSignatureAlgorithm.allCases.map {
                        $0.parametersDER.map { Data($0).base64EncodedString() } ?? ""
                    })))
    }

    /// client_credentials, with the client id and secret in the form body or HTTP Basic.
    func token(headers: HTTPFields, body: [UInt8]) async -> Reply {
        guard let form = String(validating: body, as: UTF8.self).flatMap(FormEncoding.decode) else {
            return .error(.badRequest, "invalid_request", "The body is not a form")
        }
        guard form["grant_type"] == "client_credentials" else {
            return .error(.badRequest, "unsupported_grant_type", "Only client_credentials is supported")
        }
        var clientID = form["client_id"]
        var secret = form["client_secret"]
        let basic = Self.basicCredentials(headers)
        if let basic {
            clientID = basic.id
            secret = basic.secret
        }
        guard let clientID, let secret, let client = configuration.clients[clientID],
            Self.sameSecret(secret, client.secret)
        else {
            // RFC 6749 §5.2: 401 when the client tried HTTP Basic.
            var reply = Reply.error(
                basic == nil ? .badRequest : .unauthorized, "invalid_client", "Client authentication failed")
            if basic != nil { reply.headers[.wwwAuthenticate] = #"Basic realm="csc""# }
            return reply
        }
        let token = await state.issueToken(for: clientID, lifetime: tokenLifetime)
        return .json(TokenResponse(accessToken: token, tokenType: "Bearer", expiresIn: tokenLifetime))
    }

    func list(client: String, body: [UInt8]) -> Reply {
        let request = (try? JSONDecoder().decode(CredentialsListRequest.self, from: Data(body))) ?? .init()
        let owned = (configuration.clients[client]?.credentials ?? []).filter {
            request.onlyValid != true || !$0.expired
        }
        return .json(
            CredentialsListResponse(
                credentialIDs: owned.map(\.id),
                credentialInfos: request.credentialInfo == true
                    ? owned.map {
                        var info = credentialInfo(
                            $0, certificates: request.certificates ?? "single", certInfo: request.certInfo == true,
                            authInfo: request.authInfo == true)
                        info.credentialID = $0.id
                        return info
                    } : nil,
                onlyValid: request.onlyValid))
    }

    func credentialInfo(client: String, body: [UInt8]) -> Reply {
        guard let request = try? JSONDecoder().decode(CredentialsInfoRequest.self, from: Data(body)) else {
            return .error(.badRequest, "invalid_request", "Missing (or invalid type) string parameter credentialID")
        }
        guard let owned = credentials[request.credentialID], owned.client == client else {
            return .error(.badRequest, "invalid_request", "Invalid parameter credentialID")
        }
        return .json(
            credentialInfo(
                owned.credential, certificates: request.certificates ?? "single", certInfo: request.certInfo == true,
                authInfo: request.authInfo ?? true))
    }

    func credentialInfo(
        _ credential: SimulatorConfiguration.Credential, certificates: String, certInfo: Bool, authInfo: Bool
    ) -> CredentialInfo {
        // Every configured credential was issued at start.
        guard let issued = identities.credentials[credential.id] else {
            return CredentialInfo(key: .init(status: "disabled", algo: []), cert: nil, auth: nil, multisign: 1)
        }
        let chain: [[UInt8]]? =
            switch certificates {
            case "none": nil
            case "chain": issued.chain
            default: [issued.chain[0]]
            }
        let certificate = issued.certificate
        return CredentialInfo(
            description: "Simulated \(credential.key.rawValue) credential",
            key: .init(status: "enabled", algo: issued.key.algorithms, len: issued.key.bits, curve: issued.key.curve),
            cert: .init(
                status: credential.expired ? "expired" : "valid",
                certificates: chain?.map { Data($0).base64EncodedString() },
                issuerDN: certInfo ? certificate.issuer.description : nil,
                serialNumber: certInfo ? certificate.serialNumber.description : nil,
                subjectDN: certInfo ? certificate.subject.description : nil,
                validFrom: certInfo ? Self.generalizedTime(certificate.notValidBefore) : nil,
                validTo: certInfo ? Self.generalizedTime(certificate.notValidAfter) : nil),
            auth: authInfo ? .init(mode: credential.authMode.rawValue) : nil,
            scal: credential.authMode == .explicit ? "2" : "1", multisign: credential.multisign)
    }

    func authorize(client: String, body: [UInt8]) async -> Reply {
        guard let request = try? JSONDecoder().decode(CredentialsAuthorizeRequest.self, from: Data(body)) else {
            return .error(.badRequest, "invalid_request", "Missing (or invalid type) parameters")
        }
        let hashes = request.hashes?.map { Data(base64Encoded: $0).map(Array.init) } ?? []
        let lengths = hashes.map { $0?.count ?? -1 }
        guard let owned = credentials[request.credentialID], owned.client == client else {
            return .error(.badRequest, "invalid_request", "Invalid parameter credentialID", hashLengths: lengths)
        }
        guard request.numSignatures >= 1, request.numSignatures <= owned.credential.multisign else {
            return .error(.badRequest, "invalid_request", "Invalid parameter numSignatures", hashLengths: lengths)
        }
        // SCAL 2: the SAD is bound to the hashes it signs.
        guard hashes.count == request.numSignatures else {
            return .error(
                .badRequest, "invalid_request", "The number of hashes does not match numSignatures",
                hashLengths: lengths)
        }
        let decoded = hashes.compactMap { $0 }
        guard decoded.count == hashes.count else {
            return .error(
                .badRequest, "invalid_request", "Invalid Base64 hashes string parameter", hashLengths: lengths)
        }
        guard decoded.allSatisfy({ $0.count == SHA256.byteCount }) else {
            return .error(.badRequest, "invalid_request", "Invalid digest value length", hashLengths: lengths)
        }
        let sad = await state.grant(
            client: client, credentialID: request.credentialID, hashes: decoded, lifetime: configuration.sadLifetime)
        return .json(CredentialsAuthorizeResponse(sad: sad, expiresIn: configuration.sadLifetime), hashLengths: lengths)
    }

    func signHash(client: String, body: [UInt8]) async -> Reply {
        guard let request = try? JSONDecoder().decode(SignHashRequest.self, from: Data(body)) else {
            return .error(.badRequest, "invalid_request", "Missing (or invalid type) parameters")
        }
        let hashes = request.hashes.map { Data(base64Encoded: $0).map(Array.init) }
        let lengths = hashes.map { $0?.count ?? -1 }
        func refuse(_ description: String) -> Reply {
            .error(.badRequest, "invalid_request", description, hashLengths: lengths)
        }
        if await state.injectFailure() {
            var reply = Reply.error(
                HTTPResponse.Status(code: options.failStatus), "temporarily_unavailable", "Injected failure",
                hashLengths: lengths)
            reply.headers[.retryAfter] = "1"
            return reply
        }
        if options.latency > .zero { try? await Task.sleep(for: options.latency) }
        guard let owned = credentials[request.credentialID], owned.client == client,
            let issued = identities.credentials[request.credentialID]
        else { return refuse("Invalid parameter credentialID") }
        if owned.credential.expired {
            return refuse("Signing certificate '\(issued.certificate.subject)' is expired.")
        }
        guard let algorithm = CSCSignatureAlgorithm(rawValue: request.signAlgo), issued.key.supports(algorithm) else {
            return refuse("Invalid parameter signAlgo")
        }
        if let params = algorithm.parametersDER {
            guard let given = request.signAlgoParams.flatMap({ Data(base64Encoded: $0) }), Array(given) == params else {
                return refuse("Invalid parameter signAlgoParams")
            }
        }
        if let hashAlgorithm = request.hashAlgorithmOID, hashAlgorithm != CSCSignatureAlgorithm.sha256OID {
            return refuse("Invalid parameter hashAlgorithmOID")
        }
        guard !hashes.isEmpty else { return refuse("Missing (or invalid type) array parameter hashes") }
        let decoded = hashes.compactMap { $0 }
        guard decoded.count == hashes.count else { return refuse("Invalid Base64 hashes string parameter") }
        guard decoded.allSatisfy({ $0.count == SHA256.byteCount }) else { return refuse("Invalid digest value length") }
        guard decoded.count <= owned.credential.multisign else {
            return refuse("Too many hashes: the credential signs at most \(owned.credential.multisign) per call")
        }
        if owned.credential.authMode == .explicit,
            let refusal = await spendSAD(request.sad, client: client, credentialID: request.credentialID, on: decoded)
        {
            return refuse(refusal)
        }
        var signatures: [String] = []
        for hash in decoded {
            guard let digest = SHA256.Digest.fromBytes(hash),
                let signature = try? issued.key.sign(
                    digest, algorithm: algorithm, ecdsaForm: owned.credential.ecdsaSignature)
            else {
                return .error(
                    .internalServerError, "server_error", "The signature could not be made", hashLengths: lengths)
            }
            signatures.append(Data(signature).base64EncodedString())
        }
        return .json(SignHashResponse(signatures: signatures), hashLengths: lengths)
    }

    /// Spends an explicit credential's SAD on `hashes`; the refusal's description when it
    /// does not cover them.
    private func spendSAD(_ sad: String?, client: String, credentialID: String, on hashes: [[UInt8]]) async
        -> String?
    {
        guard let sad, !sad.isEmpty else { return "Missing (or invalid type) string parameter SAD" }
        switch await state.spend(sad, client: client, credentialID: credentialID, hashes: hashes) {
        case .ok: return nil
        case .unknown: return "Invalid parameter SAD"
        case .expired: return "SAD expired"
        case .hashNotAuthorized: return "Hash is not authorized by the SAD"
        }
    }

    static func basicCredentials(_ headers: HTTPFields) -> (id: String, secret: String)? {
        guard let value = headers[.authorization], value.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(value.dropFirst("basic ".count))),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        // RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
        guard let id = FormEncoding.decode("a=" + text[..<colon])?["a"],
            let secret = FormEncoding.decode("a=" + text[text.index(after: colon)...])?["a"]
        else { return nil }
        return (id, secret)
    }

    /// Compares secrets in time independent of where they differ.
    static func sameSecret(_ given: String, _ expected: String) -> Bool {
        Array(SHA256.hash(data: Array(given.utf8))) == Array(SHA256.hash(data: Array(expected.utf8)))
    }

    static func generalizedTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }
}
