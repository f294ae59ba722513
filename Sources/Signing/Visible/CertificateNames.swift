import Foundation
import SwiftASN1
import X509

/// What a visible-signature template can say about the signing certificate, read from its DER.
/// `values` holds each name under its template key (`$certificate.getCommonName()` and
/// `$certificate.commonName` both read `commonName`, case-insensitively).
public struct CertificateNames: Sendable, Equatable {
    /// Lower-cased template key → value; a key without a value is present with nil.
    let values: [String: String?]

    /// The template keys, as documented in docs/api.md.
    public static let keys = [
        "commonName", "organization", "organizationalUnit", "country", "locality", "state", "email", "givenName",
        "surname", "serialNumber", "certificateSerialNumber", "issuerCommonName", "issuerOrganization", "notBefore",
        "notAfter",
    ]

    public init(values: [String: String?]) {
        self.values = Dictionary(uniqueKeysWithValues: values.map { ($0.key.lowercased(), $0.value) })
    }

    /// The names of the leaf certificate `der`; a certificate that cannot be read names nothing
    /// (every reference becomes empty), since it has already been used to sign.
    public init(certificate der: [UInt8]) {
        guard let certificate = try? Certificate(derEncoded: der) else {
            self.init(values: Dictionary(uniqueKeysWithValues: Self.keys.map { ($0, nil) }))
            return
        }
        let subject = certificate.subject
        let issuer = certificate.issuer
        // Hex of the integer, as viewers and `openssl x509 -serial` show it (no sign byte).
        let magnitude = certificate.serialNumber.bytes.drop { $0 == 0 }
        let serial = (magnitude.isEmpty ? [0] : Array(magnitude)).map { String(format: "%02X", $0) }.joined()
        let day = { (date: Date) in DatePattern.format(date, pattern: "yyyy-MM-dd") }
        self.init(values: [
            "commonName": subject.first(.RDNAttributeType.commonName),
            "organization": subject.first(.RDNAttributeType.organizationName),
            "organizationalUnit": subject.first(.RDNAttributeType.organizationalUnitName),
            "country": subject.first(.RDNAttributeType.countryName),
            "locality": subject.first(.RDNAttributeType.localityName),
            "state": subject.first(.RDNAttributeType.stateOrProvinceName),
            "email": subject.first(.RDNAttributeType.emailAddress),
            "givenName": subject.first(Self.givenName),
            "surname": subject.first(Self.surname),
            // The subject's own serial number (an identity number) when it has one, as the
            // signer's name goes with it; otherwise the certificate's.
            "serialNumber": subject.first(Self.subjectSerialNumber) ?? serial,
            "certificateSerialNumber": serial,
            "issuerCommonName": issuer.first(.RDNAttributeType.commonName),
            "issuerOrganization": issuer.first(.RDNAttributeType.organizationName),
            "notBefore": day(certificate.notValidBefore),
            "notAfter": day(certificate.notValidAfter),
        ])
    }

    static let givenName: ASN1ObjectIdentifier = [2, 5, 4, 42]
    static let surname: ASN1ObjectIdentifier = [2, 5, 4, 4]
    static let subjectSerialNumber: ASN1ObjectIdentifier = [2, 5, 4, 5]

    /// The value for a template key (any case): "" when the certificate lacks it, nil when the
    /// key is unknown.
    public func value(named key: String) -> String? {
        guard let entry = values[key.lowercased()] else { return nil }
        return entry ?? ""
    }
}

extension DistinguishedName {
    /// The first attribute of `type`, as text.
    func first(_ type: ASN1ObjectIdentifier) -> String? {
        for rdn in self {
            for attribute in rdn where attribute.type == type {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}
