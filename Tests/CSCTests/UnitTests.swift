import Foundation
import SwiftASN1
import Testing

@testable import CSC

/// The pure parts of the client: URLs, token lifetimes, error classes, signature forms.
struct UnitTests {
    @Test func theAPIBaseEndsWithCSCv2() throws {
        #expect(try CSCService.apiBase("https://qtsp.example") == "https://qtsp.example/csc/v2/")
        #expect(try CSCService.apiBase("https://qtsp.example/") == "https://qtsp.example/csc/v2/")
        #expect(try CSCService.apiBase("https://qtsp.example/csc/v2") == "https://qtsp.example/csc/v2/")
        #expect(try CSCService.apiBase("https://qtsp.example/csc/v2/") == "https://qtsp.example/csc/v2/")
        #expect(try CSCService.apiBase("https://qtsp.example:8443/rs") == "https://qtsp.example:8443/rs/csc/v2/")
        for bad in ["qtsp.example", "ftp://qtsp.example", "https://", "https://qtsp.example/?a=b"] {
            #expect(throws: CSCService.ConfigurationError.self) { try CSCService.apiBase(bad) }
        }
    }

    @Test func tokensComeFromTheOAuth2URIInfoNames() {
        let base = "https://qtsp.example/csc/v2/"
        #expect(
            CSCService.tokenURL(oauth2: "https://auth.example/", apiBase: base) == "https://auth.example/oauth2/token")
        #expect(
            CSCService.tokenURL(oauth2: "https://auth.example", apiBase: base) == "https://auth.example/oauth2/token")
        #expect(
            CSCService.tokenURL(oauth2: "https://auth.example/oauth2/token", apiBase: base)
                == "https://auth.example/oauth2/token")
        #expect(CSCService.tokenURL(oauth2: nil, apiBase: base) == "https://qtsp.example/csc/v2/oauth2/token")
        #expect(CSCService.tokenURL(oauth2: "", apiBase: base) == "https://qtsp.example/csc/v2/oauth2/token")
        #expect(CSCService.tokenURL(oauth2: "not a url", apiBase: base) == "https://qtsp.example/csc/v2/oauth2/token")
    }

    @Test func aTokenIsKeptUntilShortlyBeforeItExpires() {
        #expect(TokenCache.usableFor(expiresIn: 3600) == .seconds(3570))
        #expect(TokenCache.usableFor(expiresIn: 100) == .seconds(90))
        #expect(TokenCache.usableFor(expiresIn: 2) == .milliseconds(1800))
        #expect(TokenCache.usableFor(expiresIn: nil) == .seconds(270))
        var cache = TokenCache()
        let start = ContinuousClock.now
        cache.store("t1", expiresIn: 100, receivedAt: start)
        #expect(cache.token(at: start.advanced(by: .seconds(89))) == "t1")
        #expect(cache.token(at: start.advanced(by: .seconds(90))) == nil)
        // A 401 for an older token leaves the newer one.
        cache.invalidate("t0")
        #expect(cache.token(at: start) == "t1")
        cache.invalidate("t1")
        #expect(cache.token(at: start) == nil)
    }

    @Test func retryAfterIsSecondsOrADate() {
        #expect(RetryAfter.parse("1") == .seconds(1))
        #expect(RetryAfter.parse(" 120 ") == .seconds(120))
        #expect(RetryAfter.parse(nil) == nil)
        #expect(RetryAfter.parse("-1") == nil)
        #expect(RetryAfter.parse("soon") == nil)
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
    }

    @Test func answersAreClassified() {
        func api(_ status: Int, _ body: String = "", retryAfter: Duration? = nil) -> CSCError {
            CSCError.fromAPI(
                method: "signatures/signHash", status: status, body: Array(body.utf8), retryAfter: retryAfter,
                redacting: ["SECRET-SAD"])
        }
        #expect(api(503, retryAfter: .seconds(7)).retryAfter == .seconds(7))
        #expect(api(429).isTransient)
        #expect(api(500).isTransient)
        #expect(api(502).isTransient)
        #expect(api(403).code == "CSC_CREDENTIAL_NOT_ALLOWED")
        #expect(
            api(400, #"{"error":"invalid_request","error_description":"Invalid parameter credentialID"}"#).code
                == "CSC_CREDENTIAL_NOT_ALLOWED")
        #expect(
            api(
                400,
                #"{"error":"invalid_request","error_description":"Missing (or invalid type) string parameter credentialID"}"#
            )
            .code == "CSC_PROTOCOL_ERROR")
        #expect(
            api(400, #"{"error":"invalid_request","error_description":"Signing certificate 'CN=x' is expired."}"#).code
                == "CSC_CERTIFICATE_UNUSABLE")
        #expect(
            api(400, #"{"error":"invalid_request","error_description":"SAD expired"}"#).code == "CSC_PROTOCOL_ERROR")
        #expect(api(401).code == "CSC_INVALID_CLIENT")
        // The service's words are kept short and without what the client sent.
        let echoed = api(400, #"{"error":"invalid_request","error_description":"Invalid parameter SAD SECRET-SAD"}"#)
        #expect(!echoed.message.contains("SECRET-SAD"))
        #expect(echoed.message.contains("<redacted>"))

        func token(_ status: Int, _ body: String = "") -> CSCError {
            CSCError.fromTokenEndpoint(status: status, body: Array(body.utf8), retryAfter: nil, redacting: ["s3cret"])
        }
        #expect(token(400, #"{"error":"invalid_client"}"#).code == "CSC_INVALID_CLIENT")
        #expect(token(401).code == "CSC_INVALID_CLIENT")
        #expect(token(400, #"{"error":"unsupported_grant_type"}"#).code == "CSC_PROTOCOL_ERROR")
        #expect(token(503).isTransient)
        #expect(!token(400, #"{"error":"invalid_client","error_description":"bad s3cret"}"#).message.contains("s3cret"))
    }

    @Test func ecdsaSignaturesBecomeDER() throws {
        let r = [UInt8](repeating: 0x81, count: 32)
        let s: [UInt8] = [0] + [UInt8](repeating: 0x11, count: 31)
        let der = try #require(ECDSASignatureForm.der(r + s))
        // r has its top bit set: a zero byte keeps it positive; s loses its leading zero.
        let expected: [UInt8] = [0x30, 0x44, 0x02, 0x21, 0x00] + r + [0x02, 0x1F] + Array(s.dropFirst())
        #expect(der == expected)
        #expect(ECDSASignatureForm.der(der) == der)
        #expect(ECDSASignatureForm.raw(der, size: 32) == r + s)
        #expect(ECDSASignatureForm.der([1, 2, 3]) == nil)
        #expect(ECDSASignatureForm.der([]) == nil)
    }

    /// RSASSA-PSS-params for SHA-256 as every tool encodes them (openssl, BouncyCastle).
    @Test func pssParametersAreTheUsualEncoding() {
        let expected: [UInt8] = [
            0x30, 0x34, 0xA0, 0x0F, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
            0x00, 0xA1, 0x1C, 0x30, 0x1A, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08, 0x30, 0x0D,
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xA2, 0x03, 0x02, 0x01, 0x20,
        ]
        #expect(CSCSignatureAlgorithm.pssSHA256Parameters == expected)
        #expect(CSCSignatureAlgorithm.rsaPKCS1SHA256.parametersDER == nil)
    }

    @Test func formsRoundTrip() {
        let request = TokenRequest(clientID: "a b&c", clientSecret: "p=ß/%")
        let fields = FormEncoding.decode(request.formBody)
        #expect(fields == ["grant_type": "client_credentials", "client_id": "a b&c", "client_secret": "p=ß/%"])
        #expect(!"\(request)".contains("p=ß"))
        #expect(FormEncoding.decode("a=%zz") == nil)
    }

    @Test func credentialInfoReadsV2AndV1Names() throws {
        let v2 =
            #"{"key":{"status":"enabled","algo":["1.2.840.10045.4.3.2"],"len":256},"auth":{"mode":"explicit"},"SCAL":"2","multisign":10}"#
        let info = try JSONDecoder().decode(CredentialInfo.self, from: Data(v2.utf8))
        #expect(info.authorizationMode == "explicit")
        #expect(info.multisign == 10)
        #expect(info.scal == "2")
        let v1 = #"{"key":{"status":"enabled","algo":["1.2.840.113549.1.1.1"]},"authMode":"implicit","SCAL":1}"#
        let old = try JSONDecoder().decode(CredentialInfo.self, from: Data(v1.utf8))
        #expect(old.authorizationMode == "implicit")
        #expect(old.multisign == 1)
        #expect(old.scal == "1")
    }

    @Test func requestsPrintNoSecrets() {
        let request = SignHashRequest(
            credentialID: "c", sad: "THE-SAD", hashes: ["HASH-ONE"], hashAlgorithmOID: nil, signAlgo: "1.2.3",
            signAlgoParams: nil)
        #expect(!"\(request)".contains("THE-SAD"))
        #expect(!"\(request)".contains("HASH-ONE"))
        #expect(!"\(TokenResponse(accessToken: "TOKEN", expiresIn: 1))".contains("TOKEN"))
    }
}
