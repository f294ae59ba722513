import Common
import Crypto
import Foundation
import Signing
import TestSupport
import Testing
import _CryptoExtras

/// The signing pipeline with backends other than the local key, as a remote service may behave:
/// RSASSA-PSS signatures, raw ECDSA `r||s`, wrong signatures, errors, per-client identities.
/// Results are checked by openssl, pyHanko and the gateway's own `SignatureCheck`.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SigningPipelineTests {
    static let cades = SignatureParameters(signatureType: "CAdES")
    static let pades = SignatureParameters(signatureType: "PAdES", reason: "Invoice approval", location: "Lyon")
    static let content = Array("<Invoice><ID>42</ID></Invoice>".utf8)

    /// id-RSASSA-PSS with RSASSA-PSS-params SHA-256, MGF1-SHA-256, salt 32, trailer 1 (left to its
    /// DEFAULT), byte for byte as RFC 4055 §3.3 encodes them.
    static let pssAlgorithmIdentifier: [UInt8] =
        [0x30, 0x41, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A, 0x30, 0x34]
        + [0xA0, 0x0F, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00]
        + [0xA1, 0x1C, 0x30, 0x1A, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08]
        + [0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00]
        + [0xA2, 0x03, 0x02, 0x01, 0x20]

    @Test func rsaPSSSignaturesAreAcceptedByOpenSSLPyHankoAndTheGatewayCheck() async throws {
        let ws = try Workspace("pss")
        let identity = try TestIdentity(ws, newKey: ["rsa:2048"], name: "rsa")
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: try identity.keyPEM)
        let backend = try FakeBackend(identity, algorithm: .rsaPSSSHA256) {
            Array(try key.signature(for: $0, padding: .PSS).rawRepresentation)
        }
        let signer = DocumentSigner(backend: backend)
        let check = try SignatureCheck(certificateChainPEM: try identity.certificatePEM)

        let cades = try await signer.sign(Self.content, parameters: Self.cades, client: "alice")
        #expect(
            cades.firstRange(of: Self.pssAlgorithmIdentifier) != nil, "SignerInfo does not name RSASSA-PSS as expected")
        let verified = try await Tools.opensslVerifyDetached(
            signature: Data(cades), content: Data(Self.content), trusting: identity.certificateURL)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try await Tools.opensslPrint(signature: Data(cades)).contains("rsassaPss"))
        try check.check(signed: cades, original: Self.content, signatureType: "CAdES")

        let original = SamplePDF.page(showing: "Invoice PSS")
        let pades = try await signer.sign(original, parameters: Self.pades, client: "alice")
        try ws.write("pss.pdf", pades)
        let validation = try PyHanko.validate(ws.path("pss.pdf"), trust: [identity.cert], prettyPrint: true)
        #expect(validation.isValid(signatures: 1), "\(validation.output)")
        #expect(validation.output.lowercased().contains("rsassa_pss"), "\(validation.output)")
        try check.check(signed: pades, original: original, signatureType: "PAdES")

        // A PKCS#1 v1.5 signature claimed as PSS, and PSS claimed as PKCS#1 v1.5, do not verify.
        let mislabelled = try FakeBackend(identity, algorithm: .rsaPSSSHA256) {
            Array(try key.signature(for: $0, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
        let underPKCS1 = try FakeBackend(identity, algorithm: .rsaPKCS1SHA256) {
            Array(try key.signature(for: $0, padding: .PSS).rawRepresentation)
        }
        for backend in [mislabelled, underPKCS1] {
            await expectFailure("SIGNATURE_VERIFICATION_FAILED") {
                _ = try await DocumentSigner(backend: backend).sign(
                    Self.content, parameters: Self.cades, client: "alice")
            }
        }
    }

    /// A remote service returning raw `r||s`: the pipeline embeds the DER form that CMS carries.
    @Test(arguments: [
        (["ec", "-pkeyopt", "ec_paramgen_curve:P-256"], 64), (["ec", "-pkeyopt", "ec_paramgen_curve:P-384"], 96),
    ])
    func rawECDSASignaturesAreEmbeddedAsDER(keyArguments: [String], rawSize: Int) async throws {
        let ws = try Workspace("raw")
        let identity = try TestIdentity(ws, newKey: keyArguments, name: "ec")
        let pem = try identity.keyPEM
        let backend = try FakeBackend(identity, algorithm: .ecdsaSHA256) { digest in
            let raw: [UInt8]
            if rawSize == 64 {
                raw = Array(
                    try P256.Signing.PrivateKey(pemRepresentation: pem).signature(for: digest).rawRepresentation)
            } else {
                raw = Array(
                    try P384.Signing.PrivateKey(pemRepresentation: pem).signature(for: digest).rawRepresentation)
            }
            #expect(raw.count == rawSize)
            return raw
        }
        let signer = DocumentSigner(backend: backend)
        let check = try SignatureCheck(certificateChainPEM: try identity.certificatePEM)
        let cades = try await signer.sign(Self.content, parameters: Self.cades, client: "alice")
        let verified = try await Tools.opensslVerifyDetached(
            signature: Data(cades), content: Data(Self.content), trusting: identity.certificateURL)
        #expect(verified.status == 0, "\(verified.stderr)")
        try check.check(signed: cades, original: Self.content, signatureType: "CAdES")
        let original = SamplePDF.page(showing: "Invoice raw")
        let pades = try await signer.sign(original, parameters: Self.pades, client: "alice")
        try check.check(signed: pades, original: original, signatureType: "PAdES")
    }

    @Test func aSignatureThatDoesNotVerifyFailsTheDocument() async throws {
        let ws = try Workspace("wrong")
        let identity = try TestIdentity(ws)
        let otherKey = P256.Signing.PrivateKey().pemRepresentation
        let byAnotherKey = try FakeBackend(identity, algorithm: .ecdsaSHA256) {
            Array(try P256.Signing.PrivateKey(pemRepresentation: otherKey).signature(for: $0).derRepresentation)
        }
        let garbage = try FakeBackend(identity, algorithm: .ecdsaSHA256) { _ in [UInt8](repeating: 0x30, count: 64) }
        let empty = try FakeBackend(identity, algorithm: .ecdsaSHA256) { _ in [] }
        for backend in [byAnotherKey, garbage, empty] {
            let signer = DocumentSigner(backend: backend)
            for (content, parameters) in [(Self.content, Self.cades), (SamplePDF.page(showing: "x"), Self.pades)] {
                await expectFailure("SIGNATURE_VERIFICATION_FAILED") {
                    _ = try await signer.sign(content, parameters: parameters, client: "alice")
                }
            }
        }
    }

    @Test func aBackendsSigningErrorIsTheDocumentsError() async throws {
        let ws = try Workspace("error")
        let identity = try TestIdentity(ws)
        let refusing = try FakeBackend(identity, algorithm: .ecdsaSHA256) { _ in
            throw SigningError(code: "CSC_CREDENTIAL_DISABLED", message: "the credential is disabled")
        }
        for parameters in [Self.cades, Self.pades] {
            await expectFailure("CSC_CREDENTIAL_DISABLED") {
                _ = try await DocumentSigner(backend: refusing).sign(
                    SamplePDF.page(showing: "x"), parameters: parameters, client: "alice")
            }
        }
    }

    /// An identity that could never be verified is refused before anything is signed.
    @Test func anIdentityWhoseAlgorithmDoesNotFitItsKeyIsRefusedBeforeSigning() async throws {
        let ws = try Workspace("misfit")
        let identity = try TestIdentity(ws, newKey: ["rsa:2048"], name: "rsa")
        let calls = Locked(0)
        let misfit = try FakeBackend(identity, algorithm: .ecdsaSHA256) { _ in
            calls.withLock { $0 += 1 }
            return []
        }
        await expectFailure("SIGNATURE_VERIFICATION_FAILED") {
            _ = try await DocumentSigner(backend: misfit).sign(Self.content, parameters: Self.cades, client: "alice")
        }
        let noChain = FakeBackend(
            identity: SigningIdentity(chain: [], algorithm: .ecdsaSHA256, signerName: "nobody"), maxBatch: 1
        ) { _ in
            calls.withLock { $0 += 1 }
            return []
        }
        await expectFailure("BAD_CERTIFICATE") {
            _ = try await DocumentSigner(backend: noChain).sign(Self.content, parameters: Self.cades, client: "alice")
        }
        #expect(calls.withLock { $0 } == 0)
    }

    /// Each client service signs with its own identity; concurrent documents of one client go to
    /// the backend in batches of at most its `maxBatch`.
    @Test func eachClientSignsWithItsOwnIdentityInBatches() async throws {
        let ws = try Workspace("clients")
        let keys = ["alice": P256.Signing.PrivateKey(), "bob": P256.Signing.PrivateKey()]
        var identities: [String: (identity: SigningIdentity, check: SignatureCheck)] = [:]
        for (client, key) in keys {
            let (keyPEM, certificatePEM) = try Self.certificate(for: key, client: client, in: ws)
            let local = try LocalKeyBackend(keyPEM: keyPEM, chainPEM: certificatePEM)
            identities[client] = (local.identity, try SignatureCheck(certificateChainPEM: certificatePEM))
        }
        let backend = PerClientBackend(
            keys: keys.mapValues(\.pemRepresentation), identities: identities.mapValues(\.identity), maxBatch: 4)
        let signer = DocumentSigner(backend: backend, batchDelay: .milliseconds(20))
        let documents = (0..<12).map { (client: $0 % 3 == 0 ? "bob" : "alice", content: Array("invoice \($0)".utf8)) }
        let signed = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, document) in documents.enumerated() {
                group.addTask {
                    (index, try await signer.sign(document.content, parameters: Self.cades, client: document.client))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (index, document) in documents.enumerated() {
            let cms = try #require(signed[index])
            let own = try #require(identities[document.client])
            try own.check.check(signed: cms, original: document.content, signatureType: "CAdES")
            let other = try #require(identities[document.client == "alice" ? "bob" : "alice"])
            #expect(throws: SigningError.self) {
                try other.check.check(signed: cms, original: document.content, signatureType: "CAdES")
            }
        }
        let calls = backend.calls
        #expect(calls.allSatisfy { $0.count <= 4 })
        #expect(calls.filter { $0.client == "alice" }.map(\.count).reduce(0, +) == 8)
        #expect(calls.filter { $0.client == "bob" }.map(\.count).reduce(0, +) == 4)
        print("SigningPipelineTests: 12 documents of two clients took \(calls.count) backend calls")
    }

    // MARK: Helpers

    /// A certificate for `key` made by openssl, as a remote service's `credentials/info` gives it.
    static func certificate(for key: P256.Signing.PrivateKey, client: String, in ws: Workspace) throws -> (
        key: String, certificate: String
    ) {
        try ws.write("\(client)-key.pem", text: key.pemRepresentation)
        try Shell.check(
            "openssl",
            [
                "req", "-x509", "-key", ws.path("\(client)-key.pem"), "-out", ws.path("\(client)-cert.pem"), "-days",
                "30", "-subj", "/CN=\(client)/O=Signet tests",
            ])
        return (key.pemRepresentation, try String(contentsOfFile: ws.path("\(client)-cert.pem"), encoding: .utf8))
    }

    func expectFailure(
        _ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch let error as SigningError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// One identity for every client, each digest signed by `signDigest`.
struct FakeBackend: SigningBackend {
    let identity: SigningIdentity
    let maxBatch: Int
    let signDigest: @Sendable (SHA256.Digest) throws -> [UInt8]

    init(
        identity: SigningIdentity, maxBatch: Int,
        signDigest: @escaping @Sendable (SHA256.Digest) throws -> [UInt8]
    ) {
        self.identity = identity
        self.maxBatch = maxBatch
        self.signDigest = signDigest
    }

    /// The chain and name of an openssl identity, with the algorithm the backend claims.
    init(
        _ testIdentity: TestIdentity, algorithm: SignatureAlgorithm, maxBatch: Int = 1,
        signDigest: @escaping @Sendable (SHA256.Digest) throws -> [UInt8]
    ) throws {
        let local = try LocalKeyBackend(keyPEM: try testIdentity.keyPEM, chainPEM: try testIdentity.certificatePEM)
        self.init(
            identity: SigningIdentity(chain: local.chain, algorithm: algorithm, signerName: local.signerName),
            maxBatch: maxBatch, signDigest: signDigest)
    }

    func identity(for client: String) async throws -> SigningIdentity { identity }
    func maxBatch(for client: String) async -> Int { maxBatch }
    func sign(_ digests: [SHA256.Digest], for client: String) async throws -> [[UInt8]] {
        try digests.map(signDigest)
    }
}

/// A key (PEM) and identity per client service, as a CSC service holds one credential per
/// client; records each call's client and size.
final class PerClientBackend: SigningBackend {
    let keys: [String: String]
    let identities: [String: SigningIdentity]
    let maxBatch: Int
    private let recorded = Locked<[(client: String, count: Int)]>([])

    init(keys: [String: String], identities: [String: SigningIdentity], maxBatch: Int) {
        self.keys = keys
        self.identities = identities
        self.maxBatch = maxBatch
    }

    var calls: [(client: String, count: Int)] { recorded.withLock { $0 } }

    func identity(for client: String) async throws -> SigningIdentity {
        guard let identity = identities[client] else {
            throw SigningError(code: "UNKNOWN_CLIENT", message: "no credential for \(client)")
        }
        return identity
    }

    func maxBatch(for client: String) async -> Int { maxBatch }

    func sign(_ digests: [SHA256.Digest], for client: String) async throws -> [[UInt8]] {
        guard let pem = keys[client] else {
            throw SigningError(code: "UNKNOWN_CLIENT", message: "no key for \(client)")
        }
        let key = try P256.Signing.PrivateKey(pemRepresentation: pem)
        recorded.withLock { $0.append((client, digests.count)) }
        return try digests.map { Array(try key.signature(for: $0).rawRepresentation) }
    }
}
