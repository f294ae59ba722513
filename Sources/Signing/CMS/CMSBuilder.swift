import Crypto
import Foundation
import SwiftASN1

/// Builds a detached CMS SignedData (RFC 5652) with one signer, over swift-asn1.
///
/// The signed attributes are DER-sorted; they are signed with the universal SET tag (0x31) and
/// embedded as `[0] IMPLICIT`. Certificates are embedded as their original DER.
public struct CMSBuilder: Sendable {
    public enum Profile: Sendable {
        /// CAdES-BES for detached `.p7s`: includes signing-time.
        case cades(signingTime: Date)
        /// PAdES baseline: no signing-time (the time goes in the PDF's `/M`).
        case pades
    }

    public let certificates: [CertificateDER]

    public init(certificates: [CertificateDER]) {
        precondition(!certificates.isEmpty, "a CMS signer needs its certificate")
        self.certificates = certificates
    }

    /// The signed attributes, each attribute's DER, sorted as a DER SET OF requires.
    public func signedAttributes(contentDigest: [UInt8], profile: Profile) throws -> [[UInt8]] {
        var attributes: [[UInt8]] = []
        attributes.append(try attribute(OID.contentType) { try $0.serialize(OID.data) })
        attributes.append(
            try attribute(OID.messageDigest) {
                try $0.serialize(ASN1OctetString(contentBytes: contentDigest[...]))
            })
        if case .cades(let time) = profile {
            attributes.append(try attribute(OID.signingTime) { try $0.serialize(try Self.utcTime(time)) })
        }
        attributes.append(try attribute(OID.signingCertificateV2) { try self.signingCertificateV2(into: &$0) })
        return attributes.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// What the signature is computed over: the attributes as a universal SET.
    public static func bytesToSign(_ signedAttributes: [[UInt8]]) throws -> [UInt8] {
        var serializer = DER.Serializer()
        serializer.appendConstructedNode(identifier: .set) { set in
            for attribute in signedAttributes { set.serializeRawBytes(attribute) }
        }
        return serializer.serializedBytes
    }

    /// The complete ContentInfo. `unsignedAttributes` are whole Attribute DERs (e.g. a timestamp).
    public func contentInfo(
        signedAttributes: [[UInt8]],
        signature: [UInt8],
        algorithm: SignatureAlgorithm,
        unsignedAttributes: [[UInt8]] = []
    ) throws -> [UInt8] {
        var s = DER.Serializer()
        try s.appendConstructedNode(identifier: .sequence) { contentInfo in
            try contentInfo.serialize(OID.signedData)
            try contentInfo.appendConstructedNode(identifier: .contextSpecific(0)) { explicit in
                try explicit.appendConstructedNode(identifier: .sequence) { signedData in
                    try signedData.serialize(1)
                    try signedData.appendConstructedNode(identifier: .set) {
                        try Self.sha256AlgorithmIdentifier(into: &$0)
                    }
                    try signedData.appendConstructedNode(identifier: .sequence) { try $0.serialize(OID.data) }
                    signedData.appendConstructedNode(identifier: .contextSpecific(0)) { set in
                        for certificate in certificates { set.serializeRawBytes(certificate.der) }
                    }
                    try signedData.appendConstructedNode(identifier: .set) { signerInfos in
                        try signerInfos.appendConstructedNode(identifier: .sequence) { info in
                            try info.serialize(1)
                            info.appendConstructedNode(identifier: .sequence) { sid in
                                sid.serializeRawBytes(certificates[0].issuer)
                                sid.serializeRawBytes(certificates[0].serialNumber)
                            }
                            try Self.sha256AlgorithmIdentifier(into: &info)
                            info.appendConstructedNode(identifier: .contextSpecific(0)) { attrs in
                                for attribute in signedAttributes { attrs.serializeRawBytes(attribute) }
                            }
                            try algorithm.serialize(into: &info)
                            try info.serialize(ASN1OctetString(contentBytes: ArraySlice(signature)))
                            if !unsignedAttributes.isEmpty {
                                info.appendConstructedNode(identifier: .contextSpecific(1)) { attrs in
                                    for attribute in unsignedAttributes.sorted(by: { $0.lexicographicallyPrecedes($1) })
                                    {
                                        attrs.serializeRawBytes(attribute)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return s.serializedBytes
    }

    /// An Attribute: SEQUENCE { type, SET { value } }.
    public func attribute(_ type: ASN1ObjectIdentifier, value: (inout DER.Serializer) throws -> Void) throws -> [UInt8]
    {
        var s = DER.Serializer()
        try s.appendConstructedNode(identifier: .sequence) { attr in
            try attr.serialize(type)
            try attr.appendConstructedNode(identifier: .set) { try value(&$0) }
        }
        return s.serializedBytes
    }

    /// The unsigned attribute carrying an RFC 3161 timestamp token over the signature value.
    public func timestampAttribute(token: [UInt8]) throws -> [UInt8] {
        try attribute(OID.timeStampToken) { $0.serializeRawBytes(token) }
    }

    /// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }, one entry for the
    /// signing certificate: its SHA-256 (the default algorithm, so omitted) and IssuerSerial.
    private func signingCertificateV2(into s: inout DER.Serializer) throws {
        let leaf = certificates[0]
        try s.appendConstructedNode(identifier: .sequence) { signingCertificate in
            try signingCertificate.appendConstructedNode(identifier: .sequence) { certs in
                try certs.appendConstructedNode(identifier: .sequence) { certID in
                    try certID.serialize(ASN1OctetString(contentBytes: ArraySlice(SHA256.hash(data: leaf.der))))
                    certID.appendConstructedNode(identifier: .sequence) { issuerSerial in
                        issuerSerial.appendConstructedNode(identifier: .sequence) { generalNames in
                            // directoryName [4] EXPLICIT Name
                            generalNames.appendConstructedNode(identifier: .contextSpecific(4)) {
                                $0.serializeRawBytes(leaf.issuer)
                            }
                        }
                        issuerSerial.serializeRawBytes(leaf.serialNumber)
                    }
                }
            }
        }
    }

    static func utcTime(_ date: Date) throws -> UTCTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return try UTCTime(
            year: c.year ?? 2000, month: c.month ?? 1, day: c.day ?? 1,
            hours: c.hour ?? 0, minutes: c.minute ?? 0, seconds: c.second ?? 0)
    }

    static func sha256AlgorithmIdentifier(into s: inout DER.Serializer) throws {
        try s.appendConstructedNode(identifier: .sequence) { try $0.serialize(OID.sha256) }
    }
}

extension ASN1Identifier {
    static func contextSpecific(_ tag: UInt) -> ASN1Identifier {
        ASN1Identifier(tagWithNumber: tag, tagClass: .contextSpecific)
    }
}
