import Crypto
import Signing
import Testing

/// Raw `r||s` to DER `ECDSA-Sig-Value`, checked against swift-crypto's own two forms of the same
/// signature, including integers with leading zero bytes and with the top bit set.
@Suite struct ECDSASignatureFormTests {
    @Test func p256SignaturesRoundTripThroughSwiftCrypto() throws {
        let key = P256.Signing.PrivateKey()
        // About 1 in 256 signatures has an r or s with a leading zero byte; 2,000 make those certain.
        for index in 0..<2_000 {
            let signature = try key.signature(for: Array("message \(index)".utf8))
            let der = try ECDSASignatureForm.der(fromRaw: Array(signature.rawRepresentation))
            #expect(der == Array(signature.derRepresentation))
            #expect(
                try P256.Signing.ECDSASignature(derRepresentation: der).rawRepresentation == signature.rawRepresentation
            )
        }
    }

    @Test func p384SignaturesRoundTripThroughSwiftCrypto() throws {
        let key = P384.Signing.PrivateKey()
        for index in 0..<500 {
            let signature = try key.signature(for: Array("message \(index)".utf8))
            let der = try ECDSASignatureForm.der(fromRaw: Array(signature.rawRepresentation))
            #expect(der == Array(signature.derRepresentation))
            #expect(
                try P384.Signing.ECDSASignature(derRepresentation: der).rawRepresentation == signature.rawRepresentation
            )
        }
    }

    /// Integers at the edges: leading zero bytes dropped, a zero byte added before a set top bit,
    /// a zero integer as one zero byte. swift-crypto reads each back to the same raw form.
    @Test func edgeIntegersAreMinimalDER() throws {
        let cases: [(r: [UInt8], s: [UInt8], der: [UInt8])] = [
            (
                [0, 0] + [UInt8](repeating: 0x11, count: 30), [0xFF] + [UInt8](repeating: 0x22, count: 31),
                [0x30, 0x43, 0x02, 0x1E] + [UInt8](repeating: 0x11, count: 30) + [0x02, 0x21, 0x00, 0xFF]
                    + [UInt8](repeating: 0x22, count: 31)
            ),
            (
                [0x80] + [UInt8](repeating: 0, count: 31), [UInt8](repeating: 0, count: 31) + [0x01],
                [0x30, 0x26, 0x02, 0x21, 0x00, 0x80] + [UInt8](repeating: 0, count: 31) + [0x02, 0x01, 0x01]
            ),
            (
                [UInt8](repeating: 0, count: 32), [UInt8](repeating: 0, count: 31) + [0x7F],
                [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x7F]
            ),
        ]
        for (r, s, expected) in cases {
            let der = try ECDSASignatureForm.der(fromRaw: r + s)
            #expect(der == expected)
            if r.contains(where: { $0 != 0 }) {
                #expect(try Array(P256.Signing.ECDSASignature(derRepresentation: der).rawRepresentation) == r + s)
            }
        }
    }

    @Test func otherLengthsAreRefused() {
        for count in [0, 32, 63, 65, 95, 97, 132] {
            #expect(throws: SigningError.self) {
                try ECDSASignatureForm.der(fromRaw: [UInt8](repeating: 1, count: count))
            }
        }
    }
}
