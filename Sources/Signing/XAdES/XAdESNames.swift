/// The namespaces and algorithm URIs of Signet's XAdES signatures.
enum XAdESNames {
    static let ds = "http://www.w3.org/2000/09/xmldsig#"
    static let xades = "http://uri.etsi.org/01903/v1.3.2#"
    static let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    static let envelopedSignature = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    static let xpath = "http://www.w3.org/TR/1999/REC-xpath-19991116"
    static let xpathFilter2 = "http://www.w3.org/2002/06/xmldsig-filter2"
    static let signedPropertiesType = "http://uri.etsi.org/01903#SignedProperties"

    /// SignatureMethod for the identity's algorithm (RFC 6931).
    static func signatureMethod(_ algorithm: SignatureAlgorithm) -> String {
        switch algorithm {
        case .rsaPKCS1SHA256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        case .rsaPSSSHA256: "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
        case .ecdsaSHA256: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
        }
    }

    /// The algorithm a SignatureMethod URI names, among those Signet writes.
    static func signatureAlgorithm(_ uri: String) -> SignatureAlgorithm? {
        [SignatureAlgorithm.rsaPKCS1SHA256, .rsaPSSSHA256, .ecdsaSHA256].first { signatureMethod($0) == uri }
    }
}
