import Crypto
import Foundation
import SwiftASN1
import X509

/// The simulator's small PKI, made at each start: a CA (P-256) and, under it, one certificate
/// per credential (chains of 2) and optionally a TLS server certificate for localhost.
struct SimulatorIdentities: Sendable {
    struct Issued: Sendable {
        let key: SimulatedKey
        let certificate: Certificate
        /// Leaf, then CA, as DER.
        let chain: [[UInt8]]
    }

    let caCertificate: Certificate
    let caDER: [UInt8]
    /// By credential id.
    let credentials: [String: Issued]
    /// The HTTPS certificate chain (DER) and key (PEM), when asked for.
    let tls: (chain: [[UInt8]], keyPEM: String)?

    init(configuration: SimulatorConfiguration, tls: Bool, now: Date = Date()) throws {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            CommonName("Signet CSC simulator CA - NOT FOR PRODUCTION")
            OrganizationName("Signet tests")
        }
        let caCertificate = try Certificate(
            version: .v3, serialNumber: Self.serialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey))
            },
            issuerPrivateKey: .init(caKey))
        let caDER = try Self.der(caCertificate)
        let authorityKey = AuthorityKeyIdentifier(
            keyIdentifier: try caCertificate.extensions.subjectKeyIdentifier?.keyIdentifier)

        var credentials: [String: Issued] = [:]
        for (_, client) in configuration.clients {
            for credential in client.credentials {
                let key = try SimulatedKey.generate(credential.key)
                let publicKey: Certificate.PublicKey =
                    switch key {
                    case .rsa(let rsa): .init(rsa.publicKey)
                    case .p256(let p256): .init(p256.publicKey)
                    }
                // An expired credential's certificate ended yesterday.
                let (notBefore, notAfter) =
                    credential.expired
                    ? (now.addingTimeInterval(-30 * 86400), now.addingTimeInterval(-86400))
                    : (now.addingTimeInterval(-3600), now.addingTimeInterval(2 * 365 * 86400))
                let certificate = try Certificate(
                    version: .v3, serialNumber: Self.serialNumber(), publicKey: publicKey,
                    notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName,
                    subject: try DistinguishedName {
                        CommonName("Signet CSC simulator \(credential.id)")
                        OrganizationName("Signet tests")
                    },
                    signatureAlgorithm: .ecdsaWithSHA256,
                    extensions: try Certificate.Extensions {
                        Critical(BasicConstraints.notCertificateAuthority)
                        Critical(KeyUsage(digitalSignature: true, nonRepudiation: true))
                        SubjectKeyIdentifier(hash: publicKey)
                        authorityKey
                    },
                    issuerPrivateKey: .init(caKey))
                credentials[credential.id] = Issued(
                    key: key, certificate: certificate, chain: [try Self.der(certificate), caDER])
            }
        }

        var tlsIdentity: (chain: [[UInt8]], keyPEM: String)?
        if tls {
            let serverKey = P256.Signing.PrivateKey()
            let certificate = try Certificate(
                version: .v3, serialNumber: Self.serialNumber(), publicKey: .init(serverKey.publicKey),
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(30 * 86400),
                issuer: caName, subject: try DistinguishedName { CommonName("localhost") },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames([
                        .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    ])
                    authorityKey
                },
                issuerPrivateKey: .init(caKey))
            tlsIdentity = ([try Self.der(certificate), caDER], serverKey.pemRepresentation)
        }

        self.caCertificate = caCertificate
        self.caDER = caDER
        self.credentials = credentials
        self.tls = tlsIdentity
    }

    /// Writes `ca.pem` and `<credentialID>.pem` (the chain, leaf first) into `directory`.
    func export(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ ders: [[UInt8]], _ name: String) throws {
            let pem = ders.map { PEMDocument(type: "CERTIFICATE", derBytes: $0).pemString + "\n" }.joined()
            try Data(pem.utf8).write(
                to: URL(fileURLWithPath: directory).appendingPathComponent(name), options: .atomic)
        }
        try write([caDER], "ca.pem")
        for (id, issued) in credentials {
            try write(issued.chain, "\(id).pem")
        }
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// 16 random bytes, positive, at most 20 octets encoded (RFC 5280).
    static func serialNumber() -> Certificate.SerialNumber {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Certificate.SerialNumber(bytes: bytes)
    }
}
