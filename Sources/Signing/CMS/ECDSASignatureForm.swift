/// The two forms of an ECDSA signature: raw `r||s` (the two integers big-endian, each as long as
/// the curve's order: 32 bytes for P-256, 48 for P-384), which many remote signing services and
/// PKCS#11 return, and the DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 5480,
/// RFC 5753) that CMS carries.
public enum ECDSASignatureForm {
    /// The DER `ECDSA-Sig-Value` of a raw `r||s` signature of 64 (P-256) or 96 (P-384) bytes.
    /// Each integer is written minimally: leading zero bytes dropped, one zero byte put back when
    /// the top bit is set (a DER INTEGER is signed).
    public static func der(fromRaw raw: [UInt8]) throws(SigningError) -> [UInt8] {
        guard raw.count == 64 || raw.count == 96 else {
            throw SigningError(
                code: "SIGNING_FAILED",
                message: "a raw ECDSA signature has 64 (P-256) or 96 (P-384) bytes, not \(raw.count)")
        }
        let half = raw.count / 2
        let body = integer(raw[..<half]) + integer(raw[half...])
        // At most 2 × (2 + 49) = 102 bytes: the length always fits the short form.
        return [0x30, UInt8(body.count)] + body
    }

    /// A DER INTEGER holding the unsigned big-endian `magnitude`.
    private static func integer(_ magnitude: ArraySlice<UInt8>) -> [UInt8] {
        var bytes = Array(magnitude.drop(while: { $0 == 0 }))
        if bytes.isEmpty || bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return [0x02, UInt8(bytes.count)] + bytes
    }
}
