import Foundation
import Common
import Signing
import TestSupport
import Testing

/// CAdES signatures checked by OpenSSL, for each key type the local backend loads.
@Suite(.timeLimit(.minutes(2)))
struct CAdESSignerTests {
    @Test(arguments: [
        ["rsa:2048"], ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"], ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    ])
    func signaturesVerifyWithOpenSSL(keyArguments: [String]) async throws {
        let workspace = try Workspace("identity")
        let identity = try TestIdentity(workspace, newKey: keyArguments)
        let backend = try LocalKeyBackend(keyPEM: try identity.keyPEM, chainPEM: try identity.certificatePEM)
        let content = Data("<Invoice><ID>42</ID></Invoice>".utf8)
        let signature = Data(try await CAdESSigner(backend: backend).sign([UInt8](content), client: "alice"))
        let verified = try await Tools.opensslVerifyDetached(
            signature: signature, content: content, trusting: identity.certificateURL)
        #expect(verified.status == 0, "\(verified.stderr)")
        // Tampered content must fail.
        let tampered = try await Tools.opensslVerifyDetached(
            signature: signature, content: Data("<Invoice><ID>43</ID></Invoice>".utf8),
            trusting: identity.certificateURL)
        #expect(tampered.status != 0)
        let printed = try await Tools.opensslPrint(signature: signature)
        for attribute in ["contentType", "messageDigest", "signingTime", "id-smime-aa-signingCertificateV2"] {
            #expect(printed.contains("object: \(attribute)"), "missing \(attribute)")
        }
    }

    @Test func theDevelopmentIdentityIsSelfSignedAndUsable() async throws {
        let (keyPEM, certificatePEM) = try DevelopmentIdentity.generate()
        let backend = try LocalKeyBackend(keyPEM: keyPEM, chainPEM: certificatePEM)
        #expect(backend.signerName.contains("NOT FOR PRODUCTION"))
        let directory = try Workspace("dev")
        let certificate = directory.url("cert.pem")
        try certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
        let content = Data(repeating: 7, count: 100_000)
        let signature = Data(try await CAdESSigner(backend: backend).sign([UInt8](content), client: "alice"))
        #expect(
            try await Tools.opensslVerifyDetached(signature: signature, content: content, trusting: certificate).status
                == 0)
        // Created once, then reused.
        let first = try DevelopmentIdentity.ensure(in: directory.path("state"))
        let second = try DevelopmentIdentity.ensure(in: directory.path("state"))
        #expect(first.created && !second.created)
        let mode = try FileManager.default.attributesOfItem(atPath: first.keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// RFC 5280: serial numbers are at most 20 octets; NSS (pdfsig) rejects longer ones.
    @Test func developmentSerialNumbersFitRFC5280() async throws {
        let directory = try Workspace("serial")
        for index in 0..<16 {
            let certificate = directory.url("cert-\(index).pem")
            try DevelopmentIdentity.generate().certificate.write(to: certificate, atomically: true, encoding: .utf8)
            let printed = try await Shell.run("openssl", ["x509", "-in", certificate.path, "-noout", "-serial"]).stdout
            let hex = printed.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(
                of: "serial=", with: "")
            // The value must encode in 20 DER octets: below 2^159.
            let fits = hex.count < 40 || (hex.count == 40 && "01234567".contains(hex.first ?? "f"))
            #expect(fits && !hex.isEmpty, "\(printed)")
        }
    }

    @Test func aCertificateForAnotherKeyIsRefused() throws {
        let (keyPEM, _) = try DevelopmentIdentity.generate()
        let (_, otherCertificate) = try DevelopmentIdentity.generate()
        #expect(
            throws: SigningError(
                code: "KEY_CERTIFICATE_MISMATCH", message: "the certificate does not certify the signing key")
        ) {
            try LocalKeyBackend(keyPEM: keyPEM, chainPEM: otherCertificate)
        }
    }

    @Test func emptyUnsupportedAndUntimestampableDocumentsFailWithTheirCodes() async throws {
        let (keyPEM, certificatePEM) = try DevelopmentIdentity.generate()
        let signer = DocumentSigner(backend: try LocalKeyBackend(keyPEM: keyPEM, chainPEM: certificatePEM))
        let cases: [([UInt8], SignatureParameters, String)] = [
            ([], .init(signatureType: "CAdES"), "EMPTY_DOCUMENT"),
            ([1], .init(signatureType: "JAdES"), "UNSUPPORTED_SIGNATURE_TYPE"),
            ([1], .init(signatureType: "XAdES"), "XML_MALFORMED"),
            ([1], .init(signatureType: "CAdES", applyTimestamp: true), "TIMESTAMP_NOT_CONFIGURED"),
        ]
        for (content, parameters, code) in cases {
            do {
                _ = try await signer.sign(content, parameters: parameters, client: "alice")
                Issue.record("\(code) expected")
            } catch let error as SigningError {
                #expect(error.code == code)
            }
        }
        // A job whose body is not the content its digest names is refused before signing.
        do {
            _ = try await signer.sign(
                [1, 2, 3], parameters: .init(signatureType: "CAdES"), client: "alice",
                expectedDigest: sha256Hex([1, 2, 4]))
            Issue.record("CONTENT_DIGEST_MISMATCH expected")
        } catch let error as SigningError {
            #expect(error.code == "CONTENT_DIGEST_MISMATCH")
        }
        _ = try await signer.sign(
            [1, 2, 3], parameters: .init(signatureType: "CAdES"), client: "alice", expectedDigest: sha256Hex([1, 2, 3]))
    }
}
