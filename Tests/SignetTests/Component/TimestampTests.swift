import Common
import Foundation
import TestSupport
import Signing
import SwiftASN1
import Testing

/// RFC 3161 timestamps from a real `openssl ts` responder, checked by `openssl ts -verify`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct TimestampTests {
    @Test func aCAdESTSignatureCarriesATokenOverItsSignatureValue() async throws {
        let tsa = try TimestampServer()
        defer { tsa.stop() }
        let (keyPEM, certificatePEM) = try DevelopmentIdentity.generate()
        let backend = try LocalKeyBackend(keyPEM: keyPEM, chainPEM: certificatePEM)
        let signer = DocumentSigner(backend: backend, timestampAuthority: TimestampAuthority(url: tsa.url))
        let content = Array("<Invoice/>".utf8)
        let cms = try await signer.sign(
            content, parameters: .init(signatureType: "CAdES", applyTimestamp: true), client: "alice")

        let directory = try Workspace("cadest")
        let certificate = directory.url("cert.pem")
        try certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
        #expect(
            try await Tools.opensslVerifyDetached(signature: Data(cms), content: Data(content), trusting: certificate)
                .status
                == 0)
        #expect(try await Tools.opensslPrint(signature: Data(cms)).contains("id-smime-aa-timeStampToken"))

        // Take the token and the signature value out with swift-asn1 and let openssl check the pair.
        let (token, signatureValue) = try Self.tokenAndSignature(cms)
        let tokenFile = directory.url("token.der")
        let dataFile = directory.url("signature.bin")
        try Data(token).write(to: tokenFile)
        try Data(signatureValue).write(to: dataFile)
        let verified = try await Shell.run(
            "openssl",
            [
                "ts", "-verify", "-token_in", "-in", tokenFile.path, "-data", dataFile.path,
                "-CAfile", tsa.certificate.path, "-untrusted", tsa.certificate.path,
            ])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    /// Headers, then nothing: the deadline covers the whole exchange, not only the headers.
    @Test func anAuthorityThatStallsAfterItsHeadersIsAClearError() async throws {
        let stalling = try StallingHTTPServer()
        defer { stalling.stop() }
        let authority = TimestampAuthority(url: stalling.url, timeout: .seconds(1))
        await #expect(throws: SigningError.self) { _ = try await authority.timestamp(of: [1, 2, 3]) }
        do {
            _ = try await authority.timestamp(of: [1, 2, 3])
        } catch let error as SigningError {
            #expect(error.code == "TIMESTAMP_UNAVAILABLE")
            #expect(error.message.contains("no complete answer"), "\(error)")
        }
    }

    @Test func anUnreachableAuthorityIsAClearError() async throws {
        let (keyPEM, certificatePEM) = try DevelopmentIdentity.generate()
        let signer = DocumentSigner(
            backend: try LocalKeyBackend(keyPEM: keyPEM, chainPEM: certificatePEM),
            timestampAuthority: TimestampAuthority(
                url: "http://127.0.0.1:\(try Tools.freePort())/tsa", timeout: .seconds(5)))
        do {
            _ = try await signer.sign(
                [1, 2, 3], parameters: .init(signatureType: "CAdES", applyTimestamp: true), client: "alice")
            Issue.record("expected TIMESTAMP_UNAVAILABLE")
        } catch let error as SigningError {
            #expect(error.code == "TIMESTAMP_UNAVAILABLE")
        }
    }

    /// SignerInfo's unsigned timestamp attribute value and its signature OCTET STRING.
    static func tokenAndSignature(_ cms: [UInt8]) throws -> ([UInt8], [UInt8]) {
        func children(_ node: ASN1Node) -> [ASN1Node] {
            if case .constructed(let nodes) = node.content { return Array(nodes) }
            return []
        }
        let signedData = children(children(children(try DER.parse(cms))[1])[0])
        let signerInfo = children(try #require(signedData.last).self)[0]
        let fields = children(signerInfo)
        let signature = try #require(fields.first { $0.identifier == .octetString })
        let unsigned = try #require(fields.last)
        let attribute = children(unsigned)[0]
        let token = children(children(attribute)[1])[0]
        return (Array(token.encodedBytes), Array(try ASN1OctetString(derEncoded: signature).bytes))
    }
}
