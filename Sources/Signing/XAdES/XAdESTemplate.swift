import Crypto
import Foundation
import SwiftASN1
import XML

/// The text of one Signet XAdES signature (ETSI EN 319 132-1 baseline): `ds:Signature` with
/// `SignedInfo` (the document reference `URI=""` and the `SignedProperties` reference),
/// `SignatureValue`, `KeyInfo` with the whole chain, and `ds:Object` holding the qualifying
/// properties (`SigningTime`, `SigningCertificateV2`, `DataObjectFormat`; a
/// `SignatureTimeStamp` for B-T). Every value written is ASCII (names, base64, a UTC time), so
/// the signature reads the same in any ASCII-compatible encoding of the document around it.
///
/// Ids are `<prefix>-signature`, `-ref-document`, `-signed-properties`, `-value`, `-timestamp`:
/// the prefix is `signet-` and 16 hex digits of SHA-256 over the document and the signing time,
/// the same for the same document signed at the same time.
struct XAdESTemplate: Sendable {
    let prefix: String
    let options: XAdESOptions
    let algorithm: SignatureAlgorithm
    let chain: [CertificateDER]
    let signingTime: Date
    let mimeType: String

    var signatureID: String { "\(prefix)-signature" }
    var documentReferenceID: String { "\(prefix)-ref-document" }
    var signedPropertiesID: String { "\(prefix)-signed-properties" }
    var signatureValueID: String { "\(prefix)-value" }
    var timestampID: String { "\(prefix)-timestamp" }

    /// `xades:SignedProperties` inside its `QualifyingProperties` (which declares both
    /// namespaces when parsed alone; inside the signature `ds` is the signature's).
    func qualifyingProperties(unsigned: String?, declaringDS: Bool) throws -> String {
        let leaf = chain[0]
        let time = Self.xsdDateTime(signingTime)
        let ds = declaringDS ? " xmlns:ds=\"\(XAdESNames.ds)\"" : ""
        return "<xades:QualifyingProperties xmlns:xades=\"\(XAdESNames.xades)\"\(ds) Target=\"#\(signatureID)\">"
            + "<xades:SignedProperties Id=\"\(signedPropertiesID)\"><xades:SignedSignatureProperties>"
            + "<xades:SigningTime>\(time)</xades:SigningTime>"
            + "<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>"
            + "<ds:DigestMethod Algorithm=\"\(XAdESNames.sha256)\"/>"
            + "<ds:DigestValue>\(Data(SHA256.hash(data: leaf.der)).base64EncodedString())</ds:DigestValue>"
            + "</xades:CertDigest><xades:IssuerSerialV2>\(try Self.issuerSerial(leaf))</xades:IssuerSerialV2>"
            + "</xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties>"
            + "<xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference=\"#\(documentReferenceID)\">"
            + "<xades:MimeType>\(mimeType)</xades:MimeType></xades:DataObjectFormat>"
            + "</xades:SignedDataObjectProperties></xades:SignedProperties>"
            + (unsigned ?? "") + "</xades:QualifyingProperties>"
    }

    /// The transforms of the document reference.
    var documentTransforms: String {
        var transforms = "<ds:Transform Algorithm=\"\(XAdESNames.envelopedSignature)\"/>"
        switch options.transform {
        case .enveloped: break
        case .xpath:
            transforms +=
                "<ds:Transform Algorithm=\"\(XAdESNames.xpath)\">"
                + "<ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"
        case .xpath2Filter:
            transforms +=
                "<ds:Transform Algorithm=\"\(XAdESNames.xpathFilter2)\">"
                + "<dsig-xpath:XPath xmlns:dsig-xpath=\"\(XAdESNames.xpathFilter2)\" Filter=\"subtract\">"
                + "/descendant::ds:Signature</dsig-xpath:XPath></ds:Transform>"
        }
        return transforms + "<ds:Transform Algorithm=\"\(options.canonicalization.algorithm)\"/>"
    }

    /// `ds:SignedInfo` over the two digests.
    func signedInfo(documentDigest: [UInt8], propertiesDigest: [UInt8], declaringDS: Bool) -> String {
        let ds = declaringDS ? " xmlns:ds=\"\(XAdESNames.ds)\"" : ""
        let c14n = options.canonicalization.algorithm
        return "<ds:SignedInfo\(ds)><ds:CanonicalizationMethod Algorithm=\"\(c14n)\"/>"
            + "<ds:SignatureMethod Algorithm=\"\(XAdESNames.signatureMethod(algorithm))\"/>"
            + "<ds:Reference Id=\"\(documentReferenceID)\" URI=\"\"><ds:Transforms>\(documentTransforms)</ds:Transforms>"
            + "<ds:DigestMethod Algorithm=\"\(XAdESNames.sha256)\"/>"
            + "<ds:DigestValue>\(Data(documentDigest).base64EncodedString())</ds:DigestValue></ds:Reference>"
            + "<ds:Reference Type=\"\(XAdESNames.signedPropertiesType)\" URI=\"#\(signedPropertiesID)\">"
            + "<ds:Transforms><ds:Transform Algorithm=\"\(c14n)\"/></ds:Transforms>"
            + "<ds:DigestMethod Algorithm=\"\(XAdESNames.sha256)\"/>"
            + "<ds:DigestValue>\(Data(propertiesDigest).base64EncodedString())</ds:DigestValue></ds:Reference>"
            + "</ds:SignedInfo>"
    }

    func signatureValue(_ value: [UInt8], declaringDS: Bool) -> String {
        let ds = declaringDS ? " xmlns:ds=\"\(XAdESNames.ds)\"" : ""
        return
            "<ds:SignatureValue\(ds) Id=\"\(signatureValueID)\">\(Data(value).base64EncodedString())</ds:SignatureValue>"
    }

    /// `xades:UnsignedProperties` with the B-T time-stamp token (over the exclusive canonical
    /// form of `ds:SignatureValue`).
    func unsignedProperties(timestampToken: [UInt8]) -> String {
        "<xades:UnsignedProperties><xades:UnsignedSignatureProperties>"
            + "<xades:SignatureTimeStamp Id=\"\(timestampID)\">"
            + "<ds:CanonicalizationMethod Algorithm=\"\(Canonicalization.exclusive(withComments: false).algorithm)\"/>"
            + "<xades:EncapsulatedTimeStamp>\(Data(timestampToken).base64EncodedString())</xades:EncapsulatedTimeStamp>"
            + "</xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>"
    }

    /// The whole `ds:Signature`.
    func signature(signedInfo: String, value: [UInt8], timestampToken: [UInt8]?) throws -> String {
        let certificates = chain.map {
            "<ds:X509Certificate>\(Data($0.der).base64EncodedString())</ds:X509Certificate>"
        }
        return "<ds:Signature xmlns:ds=\"\(XAdESNames.ds)\" Id=\"\(signatureID)\">" + signedInfo
            + signatureValue(value, declaringDS: false)
            + "<ds:KeyInfo><ds:X509Data>\(certificates.joined())</ds:X509Data></ds:KeyInfo>"
            + "<ds:Object>"
            + (try qualifyingProperties(
                unsigned: timestampToken.map(unsignedProperties(timestampToken:)), declaringDS: false))
            + "</ds:Object></ds:Signature>"
    }

    /// `xsd:dateTime` in UTC, to the second.
    static func xsdDateTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// IssuerSerialV2: the base64 DER `IssuerSerial` (RFC 5035) of the certificate, its issuer
    /// as a directoryName and its serial number, both as the certificate encodes them.
    static func issuerSerial(_ certificate: CertificateDER) throws -> String {
        var s = DER.Serializer()
        s.appendConstructedNode(identifier: .sequence) { issuerSerial in
            issuerSerial.appendConstructedNode(identifier: .sequence) { generalNames in
                generalNames.appendConstructedNode(identifier: .contextSpecific(4)) {
                    $0.serializeRawBytes(certificate.issuer)
                }
            }
            issuerSerial.serializeRawBytes(certificate.serialNumber)
        }
        return Data(s.serializedBytes).base64EncodedString()
    }
}
