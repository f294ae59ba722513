import Foundation
import SwiftASN1
import X509

/// A signing credential as `credentials/info` describes it, checked and ready to use.
public struct CSCCredential: Sendable, Equatable {
    public enum AuthorizationMode: Sendable, Equatable {
        /// signHash needs no SAD (the token is enough).
        case implicit
        /// credentials/authorize gives a SAD for the hashes first.
        case explicit
        /// A user authorizes in a browser: not usable by an unattended gateway.
        case oauth2code
        case other(String)

        init(_ mode: String) {
            switch mode.lowercased() {
            case "implicit": self = .implicit
            case "explicit": self = .explicit
            case "oauth2code": self = .oauth2code
            default: self = .other(mode)
            }
        }
    }

    public let id: String
    /// The certificate chain as DER, the credential's own certificate first.
    public let chain: [[UInt8]]
    /// `key.algo`: OIDs of the key or signature algorithms the credential supports.
    public let keyAlgorithms: [String]
    /// The most hashes one signHash call may carry (at least 1).
    public let multisign: Int
    public let authorizationMode: AuthorizationMode
    /// `cert.status` and `key.status` as the service gave them.
    public let certificateStatus: String?
    public let keyStatus: String?

    public init(
        id: String, chain: [[UInt8]], keyAlgorithms: [String], multisign: Int, authorizationMode: AuthorizationMode,
        certificateStatus: String? = "valid", keyStatus: String? = "enabled"
    ) {
        self.id = id
        self.chain = chain
        self.keyAlgorithms = keyAlgorithms
        self.multisign = max(1, multisign)
        self.authorizationMode = authorizationMode
        self.certificateStatus = certificateStatus
        self.keyStatus = keyStatus
    }

    /// Reads and checks a `credentials/info` answer: a chain of base64 DER certificates that
    /// parse, a usable status (valid certificate, enabled key) and a leaf valid at `now`.
    static func from(_ info: CredentialInfo, id: String, now: Date = Date()) throws(CSCError) -> CSCCredential {
        guard let encoded = info.cert?.certificates, !encoded.isEmpty else {
            throw .protocolError("credentials/info gave no certificate for credential \(id)")
        }
        var chain: [[UInt8]] = []
        for text in encoded {
            guard let der = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !der.isEmpty else {
                throw .protocolError("credentials/info gave a certificate that is not base64 for credential \(id)")
            }
            chain.append(Array(der))
        }
        let leaf: Certificate
        do {
            leaf = try Certificate(derEncoded: chain[0])
        } catch {
            throw .protocolError("credentials/info gave a certificate that is not X.509 DER for credential \(id)")
        }
        if let status = info.cert?.status?.lowercased(), status != "valid" {
            throw .certificateUnusable("the certificate of credential \(id) is \(status)")
        }
        if let status = info.key.status?.lowercased(), status != "enabled" {
            throw .certificateUnusable("the key of credential \(id) is \(status)")
        }
        if now > leaf.notValidAfter {
            throw .certificateUnusable("the certificate of credential \(id) expired on \(leaf.notValidAfter)")
        }
        if now < leaf.notValidBefore {
            throw .certificateUnusable("the certificate of credential \(id) is valid only from \(leaf.notValidBefore)")
        }
        let mode = AuthorizationMode(info.authorizationMode)
        if mode == .oauth2code {
            throw .credentialNotAllowed(
                "credential \(id) needs a user to authorize each signature in a browser (oauth2code)")
        }
        return CSCCredential(
            id: id, chain: chain, keyAlgorithms: info.key.algo, multisign: info.multisign, authorizationMode: mode,
            certificateStatus: info.cert?.status, keyStatus: info.key.status)
    }

    /// The leaf certificate, parsed.
    public var certificate: Certificate {
        get throws { try Certificate(derEncoded: chain[0]) }
    }

    /// The signature algorithm to ask for: ECDSA for an EC key, PKCS#1 v1.5 (or PSS when
    /// `preferPSS`) for RSA; `nil` when the credential offers none of them.
    public func signatureAlgorithm(preferPSS: Bool = false) -> CSCSignatureAlgorithm? {
        let order: [CSCSignatureAlgorithm] =
            preferPSS
            ? [.rsaPSSSHA256, .rsaPKCS1SHA256, .ecdsaSHA256] : [.rsaPKCS1SHA256, .rsaPSSSHA256, .ecdsaSHA256]
        return order.first { $0.isOffered(by: keyAlgorithms) }
    }
}
