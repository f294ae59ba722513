import Common
import Crypto
import Foundation
import Signing
import TestSupport
import Testing

/// The gateway's check of every signer result: real signatures made by Signet's own signers are
/// accepted; signatures by another identity, tampered documents and hostile bytes are rejected
/// with `SIGNATURE_REJECTED` and a message naming the reason.
@Suite(.timeLimit(.minutes(2)))
struct SignatureCheckTests {
    /// A signing identity and the check configured for it.
    struct Identity {
        let backend: LocalKeyBackend
        let check: SignatureCheck
        var signer: DocumentSigner { DocumentSigner(backend: backend) }

        init(keyPEM: String, certificatePEM: String) throws {
            backend = try LocalKeyBackend(keyPEM: keyPEM, chainPEM: certificatePEM)
            check = try SignatureCheck(certificateChainPEM: certificatePEM)
        }

        static func development() throws -> Identity {
            let (key, certificate) = try DevelopmentIdentity.generate()
            return try Identity(keyPEM: key, certificatePEM: certificate)
        }

        static func openssl(_ ws: Workspace, newKey: [String], name: String) throws -> Identity {
            let identity = try TestIdentity(ws, newKey: newKey, name: name)
            return try Identity(keyPEM: try identity.keyPEM, certificatePEM: try identity.certificatePEM)
        }
    }

    static let cades = SignatureParameters(signatureType: "CAdES")
    static let pades = SignatureParameters(signatureType: "PAdES", reason: "Invoice approval", location: "Lyon")
    static let visible = SignatureParameters(
        signatureType: "PAdES",
        visibleSignature: VisibleSignatureInfo(locationType: "COORDINATE", locationValue: "page=1,x=72,y=100"))

    // MARK: Accepted

    @Test(arguments: ["P-256 development", "RSA-2048", "P-384"])
    func cadesSignaturesOfEachKeyTypeAreAccepted(key: String) async throws {
        let ws = try Workspace("check")
        let identity: Identity
        switch key {
        case "RSA-2048": identity = try Identity.openssl(ws, newKey: ["rsa:2048"], name: "rsa")
        case "P-384":
            identity = try Identity.openssl(ws, newKey: ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"], name: "p384")
        default: identity = try Identity.development()
        }
        let content = Array("<Invoice><ID>42</ID></Invoice>".utf8)
        let signed = try await identity.signer.sign(content, parameters: Self.cades, client: "alice")
        try identity.check.check(signed: signed, original: content, signatureType: "CAdES")
        try identity.check.check(signed: signed, original: content, signatureType: "cades")
    }

    @Test func padesSignaturesInvisibleAndVisibleAreAccepted() async throws {
        let identity = try Identity.development()
        let ws = try Workspace("check")
        let ghostscript = try Ghostscript.pdf(
            fromPostScript: "%!PS\n/Helvetica findfont 14 scalefont setfont 72 700 moveto (Invoice 7) show showpage\n",
            in: ws)
        for original in [SamplePDF.page(showing: "Invoice 1"), ghostscript] {
            for parameters in [Self.pades, Self.visible] {
                let signed = try await identity.signer.sign(original, parameters: parameters, client: "alice")
                try identity.check.check(signed: signed, original: original, signatureType: "PAdES")
            }
        }
        // An RSA identity too (a larger CMS in the same /Contents layout).
        let rsa = try Identity.openssl(ws, newKey: ["rsa:2048"], name: "rsa")
        let original = SamplePDF.page(showing: "Invoice 2")
        let signed = try await rsa.signer.sign(original, parameters: Self.visible, client: "alice")
        try rsa.check.check(signed: signed, original: original, signatureType: "PAdES")
    }

    // MARK: Another identity

    @Test func aValidSignatureByAnotherIdentityIsRejected() async throws {
        let configured = try Identity.development()
        let other = try Identity.development()
        let content = Array("content".utf8)
        let cades = try await other.signer.sign(content, parameters: Self.cades, client: "alice")
        try other.check.check(signed: cades, original: content, signatureType: "CAdES")
        expectRejected(configured.check, cades, content, "CAdES", "the signer info names another certificate")
        let pdf = SamplePDF.page(showing: "Invoice 3")
        let pades = try await other.signer.sign(pdf, parameters: Self.pades, client: "alice")
        expectRejected(configured.check, pades, pdf, "PAdES", "the signer info names another certificate")
    }

    /// A signer holding another key that claims the configured certificate: everything names the
    /// configured certificate, only the signature value is wrong.
    @Test func aSignatureByAnotherKeyUnderTheConfiguredCertificateIsRejected() async throws {
        let configured = try Identity.development()
        let other = try Identity.development()
        let content = Array("content".utf8)
        let builder = CMSBuilder(certificates: configured.backend.chain)
        let attributes = try builder.signedAttributes(
            contentDigest: Array(SHA256.hash(data: content)), profile: .cades(signingTime: Date()))
        let signature = try other.backend.sign(SHA256.hash(data: try CMSBuilder.bytesToSign(attributes)))
        let forged = try builder.contentInfo(
            signedAttributes: attributes, signature: signature, algorithm: .ecdsaSHA256)
        expectRejected(configured.check, forged, content, "CAdES", "the signature does not verify")
    }

    /// Other certificates for the configured key: a re-issued one (another serial number), one
    /// with the same issuer and serial number, and the configured signature embedding the latter.
    @Test func aSwappedCertificateIsRejected() async throws {
        let ws = try Workspace("check")
        let identity = try TestIdentity(ws)
        let configured = try Identity(keyPEM: try identity.keyPEM, certificatePEM: try identity.certificatePEM)
        let subject = "/CN=Signet Test Signer/O=Signet tests"
        let serial = try await Shell.check("openssl", ["x509", "-in", identity.cert, "-noout", "-serial"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        func certificate(_ name: String, _ extra: [String]) throws -> String {
            try Shell.check(
                "openssl",
                ["req", "-x509", "-key", identity.key, "-out", ws.path(name), "-days", "31", "-subj", subject] + extra)
            return try String(contentsOfFile: ws.path(name), encoding: .utf8)
        }
        let content = Array("content".utf8)

        let reissued = try Identity(keyPEM: try identity.keyPEM, certificatePEM: try certificate("reissued.pem", []))
        let byReissued = try await reissued.signer.sign(content, parameters: Self.cades, client: "alice")
        expectRejected(configured.check, byReissued, content, "CAdES", "the signer info names another certificate")

        let twinPEM = try certificate("twin.pem", ["-set_serial", "0x" + serial])
        let twin = try Identity(keyPEM: try identity.keyPEM, certificatePEM: twinPEM)
        let byTwin = try await twin.signer.sign(content, parameters: Self.cades, client: "alice")
        expectRejected(
            configured.check, byTwin, content, "CAdES",
            "ESS signing-certificate-v2 names another certificate than the configured one")

        // The configured identity's attributes and signature, with the twin embedded instead.
        let attributes = try CMSBuilder(certificates: configured.backend.chain).signedAttributes(
            contentDigest: Array(SHA256.hash(data: content)), profile: .cades(signingTime: Date()))
        let signature = try configured.backend.sign(SHA256.hash(data: try CMSBuilder.bytesToSign(attributes)))
        let swapped = try CMSBuilder(certificates: twin.backend.chain).contentInfo(
            signedAttributes: attributes, signature: signature, algorithm: .ecdsaSHA256)
        expectRejected(
            configured.check, swapped, content, "CAdES",
            "the CMS embeds a different certificate with the configured certificate's issuer and serial number")
    }

    // MARK: Tampered PAdES

    @Test func aPAdESWhoseOriginalIsNotAPrefixIsRejected() async throws {
        let (identity, original, signed) = try await Self.signedPDF()
        var changed = original
        changed[changed.count / 2] ^= 0x01
        expectRejected(identity.check, signed, changed, "PAdES", "does not start with the original document")
        expectRejected(identity.check, original, original, "PAdES", "does not start with the original document")
    }

    /// What a signer appends, checked against the original's hash (the gateway's spool file):
    /// accepted as it is, rejected against another original, another length, or a changed tail.
    @Test func anAppendedUpdateIsCheckedAgainstTheOriginalsHash() async throws {
        let (identity, original, signed) = try await Self.signedPDF()
        let tail = Array(signed[original.count...])
        func hash(_ bytes: [UInt8]) -> SHA256 {
            var hasher = SHA256()
            hasher.update(data: bytes)
            return hasher
        }
        try identity.check.checkPAdES(appended: tail, toOriginal: hash(original), length: original.count)
        var changed = original
        changed[changed.count / 2] ^= 0x01
        let rejections: [(SHA256, Int, [UInt8], String)] = [
            (hash(changed), original.count, tail, "the message-digest does not match"),
            (hash(original + [0x0A]), original.count + 1, tail, "/ByteRange"),
            (hash(Array(original.dropLast())), original.count - 1, tail, "/ByteRange"),
            (hash(original), original.count, tail.map { $0 == UInt8(ascii: "%") ? UInt8(ascii: "#") : $0 }, "digest"),
            (hash(original), original.count, [], "does not start with the original document"),
        ]
        for (originalHash, length, appended, reason) in rejections {
            do {
                try identity.check.checkPAdES(appended: appended, toOriginal: originalHash, length: length)
                Issue.record("accepted; expected a rejection (\(reason))")
            } catch {
                #expect(error.code == "SIGNATURE_REJECTED")
                #expect(error.message.contains(reason), "\(error.message)")
            }
        }
    }

    @Test func aChangeInsideTheSignedRangesIsRejected() async throws {
        let (identity, original, signed) = try await Self.signedPDF()
        let range = try #require(Self.byteRange(signed))
        // In the update before the gap, and after the gap (the trailer).
        for position in [original.count + 1, original.count + 20, range[2] + 5, signed.count - 3] {
            var tampered = signed
            tampered[position] = tampered[position] == UInt8(ascii: "X") ? UInt8(ascii: "Y") : UInt8(ascii: "X")
            expectRejected(identity.check, tampered, original, "PAdES", "the message-digest does not match")
        }
    }

    @Test func aByteRangeNotCoveringTheEndIsRejected() async throws {
        let (identity, original, signed) = try await Self.signedPDF()
        expectRejected(
            identity.check, signed + Array("\n% unsigned\n".utf8), original, "PAdES",
            "/ByteRange does not cover the end of the document")
        // The gap moved into the original, and a range that does not start at 0.
        let range = try #require(Self.byteRange(signed))
        for (replacement, reason) in [
            ("[0 10 \(range[2]) \(range[3])", "the /ByteRange gap is not in the appended update"),
            ("[1 \(range[1]) \(range[2]) \(range[3])", "/ByteRange does not start at 0"),
            ("[0 \(range[2]) \(range[1]) \(range[3])", "/ByteRange's ranges overlap or are out of order"),
            ("[0 \(range[1]) \(range[2]) -\(range[3])", "/ByteRange is not an array of four non-negative integers"),
        ] {
            let tampered = try #require(Self.replacingByteRange(in: signed, with: replacement))
            expectRejected(identity.check, tampered, original, "PAdES", reason)
        }
    }

    @Test func aContentsGapWithNonHexOrTruncatedCMSIsRejected() async throws {
        let (identity, original, signed) = try await Self.signedPDF()
        let range = try #require(Self.byteRange(signed))
        var nonHex = signed
        nonHex[range[2] - 3] = UInt8(ascii: "g")
        expectRejected(identity.check, nonHex, original, "PAdES", "/Contents holds bytes that are not hex digits")
        var padding = signed
        padding[range[2] - 3] = UInt8(ascii: "1")
        expectRejected(identity.check, padding, original, "PAdES", "not zero padding")
        // The CMS cut after 200 bytes (the rest of the hole zero, as padding).
        var truncated = signed
        for i in (range[1] + 1 + 400)..<(range[2] - 1) { truncated[i] = UInt8(ascii: "0") }
        expectRejected(identity.check, truncated, original, "PAdES", "the signature is not a DER-encoded CMS")
        var empty = signed
        for i in (range[1] + 1)..<(range[2] - 1) { empty[i] = UInt8(ascii: "0") }
        expectRejected(identity.check, empty, original, "PAdES", "/Contents does not hold a CMS")
    }

    // MARK: Not a signature of this document

    @Test func truncatedRandomAndEmptyBytesAreRejected() async throws {
        let (identity, pdf, pades) = try await Self.signedPDF()
        let content = Array("content".utf8)
        let cades = try await identity.signer.sign(content, parameters: Self.cades, client: "alice")
        let random = (0..<4096).map { _ in UInt8.random(in: 0...255) }
        for signed in [[], random, Array(cades.dropLast(10)), Array(cades.dropFirst(1))] {
            expectRejected(identity.check, signed, content, "CAdES", "the signature is not a DER-encoded CMS")
        }
        for signed in [[], random, Array(pdf.dropLast(1))] {
            expectRejected(identity.check, signed, pdf, "PAdES", "does not start with the original document")
        }
        expectRejected(identity.check, pdf, pdf, "PAdES", "does not start with the original document")
        expectRejected(identity.check, Array(pades.dropLast(10)), pdf, "PAdES", "does not cover the end")
    }

    @Test func aCAdESOverOtherContentIsRejected() async throws {
        let identity = try Identity.development()
        let cades = try await identity.signer.sign(Array("content".utf8), parameters: Self.cades, client: "alice")
        expectRejected(
            identity.check, cades, Array("contents".utf8), "CAdES", "the message-digest does not match the document")
    }

    @Test func aCAdESGivenAsPAdESAndAPAdESGivenAsCAdESAreRejected() async throws {
        let (identity, pdf, pades) = try await Self.signedPDF()
        let cades = try await identity.signer.sign(pdf, parameters: Self.cades, client: "alice")
        try identity.check.check(signed: cades, original: pdf, signatureType: "CAdES")
        expectRejected(identity.check, cades, pdf, "PAdES", "does not start with the original document")
        expectRejected(identity.check, pades, pdf, "CAdES", "the signature is not a DER-encoded CMS")
    }

    @Test func anUnknownSignatureTypeIsRejected() async throws {
        let (identity, pdf, pades) = try await Self.signedPDF()
        expectRejected(identity.check, pades, pdf, "JAdES", "signature type JAdES is unsupported")
        expectRejected(identity.check, pades, pdf, "XAdES", "does not parse")
        expectRejected(identity.check, pades, pdf, "", "is unsupported")
    }

    @Test func aCertificateThatIsNotPEMIsRefusedAtConfiguration() throws {
        #expect(throws: SigningError.self) { try SignatureCheck(certificateChainPEM: "not a certificate") }
        #expect(throws: SigningError.self) { try SignatureCheck(leafCertificateDER: [0x30, 0x00]) }
    }

    // MARK: Mutations

    /// Bit flips and truncations of valid results never trap, and every one is rejected but a
    /// letter's case changed inside the `/Contents` hex (the same CMS bytes).
    @Test func randomMutationsAreRejectedAndNeverTrap() async throws {
        let (identity, pdf, pades) = try await Self.signedPDF()
        let content = Array("<Invoice><ID>42</ID></Invoice>".utf8)
        let cades = try await identity.signer.sign(content, parameters: Self.cades, client: "alice")
        let range = try #require(Self.byteRange(pades))
        var generator = SystemRandomNumberGenerator()
        var accepted = 0
        for round in 0..<2_000 {
            let (valid, original, type) = round % 2 == 0 ? (pades, pdf, "PAdES") : (cades, content, "CAdES")
            var mutated = valid
            var flipped: Int?
            if Int.random(in: 0..<4, using: &generator) == 0 {
                mutated.removeLast(Int.random(in: 1...valid.count, using: &generator))
            } else {
                let position = Int.random(in: 0..<valid.count, using: &generator)
                mutated[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                flipped = position
            }
            guard (try? identity.check.check(signed: mutated, original: original, signatureType: type)) != nil else {
                continue
            }
            accepted += 1
            // Only a hex letter's case in the gap may change: the CMS is the same.
            let harmless =
                type == "PAdES" && flipped.map { (range[1] + 1)..<(range[2] - 1) ~= $0 } == true
                && flipped.map { Self.sameHexDigit(valid[$0], mutated[$0]) } == true
            #expect(harmless, "\(type) mutation at \(flipped.map(String.init) ?? "end") was accepted")
        }
        print("SignatureCheckTests: \(accepted) of 2000 mutations were harmless case changes in /Contents")
    }

    // MARK: Cost

    /// Prints (never asserts) how long checking 200 PAdES results of about 200 KB takes.
    @Test func theCostOfCheckingTwoHundredPAdESResultsIsPrinted() async throws {
        let identity = try Identity.development()
        var sample = SamplePDF()
        let lines = String(repeating: "72 72 m 540 720 l S\n", count: 10_000)
        sample.content = "BT /F1 12 Tf 72 700 Td (Big) Tj ET\n" + lines
        let original = sample.build(xref: .table)
        let signed = try await identity.signer.sign(original, parameters: Self.pades, client: "alice")
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<200 { try identity.check.check(signed: signed, original: original, signatureType: "PAdES") }
        }
        print("SignatureCheckTests: 200 PAdES checks of \(signed.count) bytes took \(elapsed)")
    }

    // MARK: Helpers

    static func sameHexDigit(_ a: UInt8, _ b: UInt8) -> Bool {
        a | 0x20 == b | 0x20 && (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(a | 0x20)
    }

    static func signedPDF() async throws -> (Identity, [UInt8], [UInt8]) {
        let identity = try Identity.development()
        let original = SamplePDF.page(showing: "Invoice \(Int.random(in: 1...999))")
        let signed = try await identity.signer.sign(original, parameters: pades, client: "alice")
        try identity.check.check(signed: signed, original: original, signatureType: "PAdES")
        return (identity, original, signed)
    }

    /// The position of the last `/ByteRange [` and its text up to `]`.
    static func lastByteRange(_ bytes: [UInt8]) -> (start: Int, end: Int)? {
        let key = Array("/ByteRange [".utf8)
        guard
            let start = stride(from: bytes.count - key.count, through: 0, by: -1).first(where: {
                bytes[$0..<($0 + key.count)].elementsEqual(key)
            }),
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "]"))
        else { return nil }
        return (start + key.count - 1, end)
    }

    static func byteRange(_ bytes: [UInt8]) -> [Int]? {
        guard let (start, end) = lastByteRange(bytes) else { return nil }
        let numbers = String(decoding: bytes[(start + 1)..<end], as: UTF8.self).split(separator: " ").compactMap {
            Int($0)
        }
        return numbers.count == 4 ? numbers : nil
    }

    /// `bytes` with the `/ByteRange` array's text replaced by `text` (padded to the same width).
    static func replacingByteRange(in bytes: [UInt8], with text: String) -> [UInt8]? {
        guard let (start, end) = lastByteRange(bytes), text.utf8.count <= end - start else { return nil }
        var result = bytes
        let padded = Array(text.utf8) + Array(repeating: UInt8(ascii: " "), count: end - start - text.utf8.count)
        result.replaceSubrange(start..<end, with: padded)
        return result
    }

    /// Expects `check` to reject `signed` with `SIGNATURE_REJECTED` and a message containing `reason`.
    func expectRejected(
        _ check: SignatureCheck, _ signed: [UInt8], _ original: [UInt8], _ type: String, _ reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            try check.check(signed: signed, original: original, signatureType: type)
            Issue.record("accepted; expected a rejection (\(reason))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == "SIGNATURE_REJECTED", sourceLocation: sourceLocation)
            #expect(error.message.contains(reason), "\(error.message)", sourceLocation: sourceLocation)
        }
    }
}
