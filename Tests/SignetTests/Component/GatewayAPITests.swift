import Common
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Signing
import TestSupport
import Testing

@testable import Gateway
@testable import Signer

/// The client API's answers through the router in process (no HTTP socket, no child process):
/// every error code docs/api.md promises, with its status and body, and what happens to documents
/// whose signers vanish. The signer side is played by DEALER sockets on the hub's real endpoint.
@Suite(.timeLimit(.minutes(2)))
struct GatewayAPITests {
    /// A gateway with no local signers, small limits and fast liveness; it logs warnings and
    /// worse unless given a `logger`.
    static func gateway(
        reusing existing: Workspace? = nil, logger: Logger? = nil,
        _ adjust: (inout GatewayConfiguration) -> Void = { _ in }
    ) async throws -> (GatewayApplication, Workspace, CurveKeyPair) {
        let workspace = try existing ?? Workspace("api")
        try FileManager.default.createDirectory(at: workspace.url("work"), withIntermediateDirectories: true)
        try Data(#"{"alice": {"secret": "alice-secret"}, "bob": {"secret": "bob-secret"}}"#.utf8).write(
            to: workspace.url("work/client-services-config.json"))
        // The signers the tests play are authorized the way an operator does it: a key file.
        let signerKeys = try CurveKeyPair.generate()
        try FileManager.default.createDirectory(
            at: workspace.url("work/signer-keys"), withIntermediateDirectories: true)
        try Data("# test signers\n\(signerKeys.publicKey)\n".utf8).write(to: workspace.url("work/signer-keys/test"))
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.advertisedHost = "127.0.0.1"
        configuration.advertisedPort = 8080
        configuration.signerEndpoint = "tcp://127.0.0.1:*"
        configuration.workFolder = workspace.path("work")
        configuration.stateDirectory = workspace.path("state")
        configuration.localSigners = 0
        // Liveness is not what these tests look at: a test process busy with other suites must
        // not make the gateway declare a signer dead.
        configuration.heartbeatInterval = .milliseconds(500)
        configuration.liveness = 100
        configuration.maxRequestBytes = 64 * 1024
        configuration.maxDocuments = 3
        configuration.syncTimeout = .seconds(1)
        adjust(&configuration)
        var quiet = Logger(label: "test.gateway")
        quiet.logLevel = .warning
        return (
            try await buildApplication(configuration: configuration, logger: logger ?? quiet), workspace, signerKeys
        )
    }

    static func headers(_ user: String = "alice", contentType: String? = "application/json") -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Basic " + Data("\(user):\(user)-secret".utf8).base64EncodedString()]
        if let contentType { fields[.contentType] = contentType }
        return fields
    }

    static func body(documents count: Int, reference: String? = nil, content: String = "hello") throws -> ByteBuffer {
        let documents = (0..<count).map { index in
            [
                "documentRequest": [
                    "name": "d\(index).txt", "base64Content": Data("\(content) \(index)".utf8).base64EncodedString(),
                ],
                "signatureInfo": ["signatureType": "CAdES"],
            ]
        }
        var object: [String: Any] = ["documents": documents]
        if let reference { object["externalReference"] = reference }
        return ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    /// The error body every failure shares, with the expected status and code.
    static func expectError(
        _ response: TestResponse, _ status: HTTPResponse.Status, _ code: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
        #expect(json["errorCode"] as? String == code, "\(json)", sourceLocation: sourceLocation)
        #expect((json["errorCodeDescription"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect((json["causeMessage"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    }

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    @Test func theStateFolderAndTheDevelopmentKeyAreTheOwnersOnly() async throws {
        let (_, workspace, _) = try await Self.gateway()
        let files = FileManager.default
        #expect(try files.attributesOfItem(atPath: workspace.path("state"))[.posixPermissions] as? Int == 0o700)
        let key = workspace.path("state/\(DevelopmentIdentity.keyFileName)")
        #expect(try files.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)
        // A key others can read stops the gateway at start, as ssh refuses it.
        try files.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        await #expect(throws: StartupError.self) { _ = try await Self.gateway(reusing: workspace) }
    }

    @Test func requestErrorsAnswerWithTheirStatusAndCode() async throws {
        let (built, workspace, _) = try await Self.gateway()
        try await built.application.test(.router) { client in
            let wrongType = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(contentType: "text/plain"),
                body: try Self.body(documents: 1))
            Self.expectError(wrongType, .unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")

            let tooLarge = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(),
                body: try Self.body(documents: 1, content: String(repeating: "x", count: 100_000)))
            Self.expectError(tooLarge, .contentTooLarge, "PAYLOAD_TOO_LARGE")

            let none = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: try Self.body(documents: 0))
            Self.expectError(none, .badRequest, "NO_DOCUMENTS")

            let tooMany = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: try Self.body(documents: 4))
            Self.expectError(tooMany, .badRequest, "TOO_MANY_DOCUMENTS")

            let unauthenticated = try await client.execute(
                uri: "/v1/operations", method: .post, headers: [.contentType: "application/json"],
                body: try Self.body(documents: 1))
            Self.expectError(unauthenticated, .unauthorized, "UNAUTHORIZED")
            #expect(unauthenticated.headers[.wwwAuthenticate] != nil)

            let unknown = try await client.execute(uri: "/v1/operations/nope", method: .get, headers: Self.headers())
            Self.expectError(unknown, .notFound, "OPERATION_NOT_FOUND")

            // Ids name the instance that minted them: one of another instance (no peer here) is
            // answered as kept elsewhere, never as unknown; one of this instance as unknown.
            let instance = try await client.execute(uri: "/v1/instance", method: .get)
            let number = try #require(Self.json(instance)["instance"] as? Int)
            #expect((Self.json(instance)["url"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
            let foreign = (Int64((number + 1) % 1024) << OperationIDs.counterBits) + 1_796_000_000_000
            for path in ["/v1/operations/\(foreign)", "/v1/operations/\(foreign)/result"] {
                let elsewhere = try await client.execute(uri: path, method: .get, headers: Self.headers())
                Self.expectError(elsewhere, .notFound, "OPERATION_ON_OTHER_INSTANCE")
            }
            let ours = try await client.execute(
                uri: "/v1/operations/\((Int64(number) << OperationIDs.counterBits) + 5)", method: .delete,
                headers: Self.headers())
            Self.expectError(ours, .notFound, "OPERATION_NOT_FOUND")
            // Ids are JSON numbers below 2^53 that carry this instance's number.
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: try Self.body(documents: 1))
            let id = try #require(Self.json(started)["id"] as? NSNumber).int64Value
            #expect(id > 0 && id < 1 << 53)
            #expect(OperationIDs.instance(of: String(id)) == number)
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    /// No signer is connected, so the operation stays pending: result, document and the
    /// synchronous endpoint say so with their own codes.
    @Test func unfinishedOperationsAnswerWithTheirCodes() async throws {
        let (built, workspace, _) = try await Self.gateway()
        try await built.application.test(.router) { client in
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: try Self.body(documents: 2))
            #expect(started.status == .accepted)
            let id = try #require(Self.json(started).operationID)
            #expect(started.headers[.location] == "http://127.0.0.1:8080/v1/operations/\(id)")

            let result = try await client.execute(
                uri: "/v1/operations/\(id)/result", method: .get, headers: Self.headers())
            Self.expectError(result, .conflict, "OPERATION_NOT_FINISHED")
            #expect(result.headers[.retryAfter] == "1")

            let document = try await client.execute(
                uri: "/v1/operations/\(id)/documents/1", method: .get, headers: Self.headers())
            Self.expectError(document, .conflict, "DOCUMENT_NOT_SIGNED")
            let beyond = try await client.execute(
                uri: "/v1/operations/\(id)/documents/2", method: .get, headers: Self.headers())
            Self.expectError(beyond, .notFound, "DOCUMENT_NOT_FOUND")
            // Another client's operation is invisible, exactly like an unknown one.
            let crossed = try await client.execute(
                uri: "/v1/operations/\(id)/result", method: .get, headers: Self.headers("bob"))
            Self.expectError(crossed, .notFound, "OPERATION_NOT_FOUND")

            let synchronous = try await client.execute(
                uri: OperationsController.signStashBase + "/document/sign/base64/", method: .post,
                headers: Self.headers(),
                body: try Self.body(documents: 1))
            Self.expectError(synchronous, .gatewayTimeout, "SIGNING_TIMEOUT")
            let cause = Self.json(synchronous)["causeMessage"] as? String ?? ""
            #expect(cause.contains("/v1/operations/"), "\(cause)")
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    @Test func anIdempotencyKeyReturnsTheSameOperationOrAConflict() async throws {
        let (built, workspace, _) = try await Self.gateway()
        try await built.application.test(.router) { client in
            var headers = Self.headers()
            headers[.idempotencyKey] = "key-1"
            let first = try await client.execute(
                uri: "/v1/operations", method: .post, headers: headers, body: try Self.body(documents: 2))
            let again = try await client.execute(
                uri: "/v1/operations", method: .post, headers: headers, body: try Self.body(documents: 2))
            #expect(first.status == .accepted)
            let id = try #require(Self.json(first).operationID)
            #expect(Self.json(again).operationID == id)
            // The same key with another payload is a conflict naming the first operation.
            let other = try await client.execute(
                uri: "/v1/operations", method: .post, headers: headers, body: try Self.body(documents: 1))
            Self.expectError(other, .conflict, "EXTERNAL_REFERENCE_CONFLICT")
            #expect((Self.json(other)["causeMessage"] as? String)?.contains(id) == true)
            // Without the key, the same payload is a new operation; another client's key is its own.
            let unkeyed = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: try Self.body(documents: 2))
            #expect(Self.json(unkeyed).operationID != id)
            var bobs = Self.headers("bob")
            bobs[.idempotencyKey] = "key-1"
            let bob = try await client.execute(
                uri: "/v1/operations", method: .post, headers: bobs, body: try Self.body(documents: 1))
            #expect(bob.status == .accepted)
            #expect(Self.json(bob).operationID != id)
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    /// A request of these document entries; one without `signatureInfo` is CAdES.
    static func body(_ documents: [[String: Any]]) throws -> ByteBuffer {
        let entries = documents.map { entry in
            entry["signatureInfo"] == nil
                ? entry.merging(["signatureInfo": ["signatureType": "CAdES"]]) { a, _ in a } : entry
        }
        return ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["documents": entries]))
    }

    /// Numbers a client controls are checked before use: the gateway answers and stays up.
    @Test func hostileNumbersAreAnsweredNotTrapped() async throws {
        let (built, workspace, _) = try await Self.gateway { $0.maxWait = .milliseconds(200) }
        try await built.application.test(.router) { client in
            for wait in ["inf", "1e20", "-1", "nan", "1e-300", "9223372036854775807", "-inf", "x"] {
                var headers = Self.headers()
                headers[.prefer] = "wait=\(wait)"
                let response = try await client.execute(
                    uri: "/v1/operations", method: .post, headers: headers, body: try Self.body(documents: 1))
                #expect(response.status == .accepted, "Prefer: wait=\(wait)")
            }
            let pdf = Data("%PDF-1.4".utf8).base64EncodedString()
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).base64EncodedString()
            let at = ["locationType": "COORDINATE", "locationValue": "page=1,x=1,y=1"]
            let cases: [([String: Any], String)] = [
                (["locationType": "COORDINATE", "locationValue": "page=1e300,x=1,y=1"], "locationValue"),
                (["locationType": "COORDINATE", "locationValue": "page=1,x=nan,y=1"], "locationValue"),
                (["locationType": "COORDINATE", "locationValue": "page=1,x=1,y=inf"], "locationValue"),
                (["locationType": "COORDINATE", "locationValue": "page=0,x=1,y=1"], "locationValue"),
                (["locationType": "COORDINATE", "locationValue": "page=1.5,x=1,y=1"], "locationValue"),
                (["locationType": "COORDINATE", "locationValue": "page=1,x=-1,y=1"], "locationValue"),
                (["locationType": "COORDINATE", "locationValue": "x=1,y=1"], "locationValue"),
                (["locationType": "COORDINATE"], "locationValue"),
                (["locationValue": "page=1,x=1,y=1"], "locationType"),
                (["locationType": "SOMEWHERE", "locationValue": "x"], "locationType"),
                (["locationType": "PLACEHOLDER", "locationValue": "two words"], "locationValue"),
                (["locationType": "SIGN_FIELD", "locationValue": String(repeating: "f", count: 300)], "locationValue"),
                (at.merging(["area": "width=1e300,height=50"]) { $1 }, "area: width"),
                (
                    ["locationType": "PLACEHOLDER", "locationValue": "SIGN", "area": "width=10,height=-1"],
                    "area: height"
                ),
                (at.merging(["area": "155x50"]) { $1 }, "area"),
                (at.merging(["areaBackgroundColor": "#12345"]) { $1 }, "areaBackgroundColor"),
                (at.merging(["font": "color=#000000,size=1e9"]) { $1 }, "font"),
                (at.merging(["font": "color=black,size=11"]) { $1 }, "font"),
                (at.merging(["templateType": "ONE_OFF"]) { $1 }, "oneOffTemplate"),
                (at.merging(["templateType": "OTHER"]) { $1 }, "templateType"),
                (at.merging(["templateType": "ONE_OFF", "oneOffTemplate": "a\u{0}b"]) { $1 }, "oneOffTemplate"),
                (
                    at.merging(["templateType": "ONE_OFF", "oneOffTemplate": String(repeating: "x", count: 2001)]) {
                        $1
                    }, "oneOffTemplate"
                ),
                (at.merging(["imageType": "IMAGE_GIF", "imageValue": png]) { $1 }, "imageType"),
                (at.merging(["imageType": "IMAGE_PNG"]) { $1 }, "imageValue"),
                (at.merging(["imageType": "IMAGE_PNG", "imageValue": "%%%"]) { $1 }, "imageValue"),
                (at.merging(["imageType": "IMAGE_PNG", "imageValue": png]) { $1 }, "imageValue"),
                (
                    at.merging(["imageType": "IMAGE_JPG", "imageValue": Data("GIF89a".utf8).base64EncodedString()]) {
                        $1
                    }, "imageValue"
                ),
            ]
            for (visible, field) in cases {
                let response = try await client.execute(
                    uri: "/v1/operations", method: .post, headers: Self.headers(),
                    body: try Self.body([
                        [
                            "documentRequest": ["name": "a.pdf", "base64Content": pdf],
                            "signatureInfo": ["signatureType": "PAdES", "visibleSignatureInfo": visible],
                        ]
                    ]))
                Self.expectError(response, .badRequest, "INVALID_VISIBLE_SIGNATURE")
                let cause = Self.json(response)["causeMessage"] as? String ?? ""
                #expect(cause.hasPrefix("documents[0].signatureInfo.visibleSignatureInfo.\(field)"), "\(cause)")
            }
            for junk in ["aGVs bG8=", "aGVs*bG8=", "aGVsbG8", "aGVsbG8=\u{0}"] {
                let response = try await client.execute(
                    uri: "/v1/operations", method: .post, headers: Self.headers(),
                    body: try Self.body([["documentRequest": ["name": "a", "base64Content": junk]]]))
                Self.expectError(response, .badRequest, "INVALID_BASE64")
            }
            // Line-wrapped base64 is base64.
            let wrapped = Data(repeating: 0x41, count: 200).base64EncodedString(options: .lineLength64Characters)
            let accepted = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(),
                body: try Self.body([["documentRequest": ["name": "w", "base64Content": wrapped]]]))
            #expect(accepted.status == .accepted)
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    /// An empty document fails alone with `EMPTY_DOCUMENT`; the others of the batch are accepted.
    @Test func anEmptyDocumentFailsAloneNotTheRequest() async throws {
        let (built, workspace, _) = try await Self.gateway()
        try await built.application.test(.router) { client in
            let hello = Data("hello".utf8).base64EncodedString()
            let mixed = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(),
                body: try Self.body([
                    ["documentRequest": ["name": "empty", "base64Content": ""]],
                    ["documentRequest": ["name": "full", "base64Content": hello]],
                ]))
            #expect(mixed.status == .accepted)
            let documents = try #require(Self.json(mixed)["documentList"] as? [[String: Any]])
            #expect(documents.map { $0["signStatus"] as? String } == ["ERROR_SIGNING", "RECEIVED"])
            #expect(documents[0]["signError"] as? String == "EMPTY_DOCUMENT")
            #expect(Self.json(mixed)["status"] as? String == "PENDING_EXECUTION")
            let queued = await built.hub.queuedCount
            #expect(queued == 1, "queued \(queued)")
            // Nothing but empty documents: finished at once, failed.
            let allEmpty = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(),
                body: try Self.body([["documentRequest": ["name": "empty", "base64Content": ""]]]))
            #expect(Self.json(allEmpty)["status"] as? String == "EXECUTION_FAILED")
            // A missing field is still the request's fault.
            let missing = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(),
                body: try Self.body([["documentRequest": ["name": "none"]]]))
            Self.expectError(missing, .badRequest, "MISSING_CONTENT")
            // As in Sign'Stash, every document names its signature type.
            let untyped = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(),
                body: ByteBuffer(string: #"{"documents":[{"documentRequest":{"name":"n","base64Content":"QUJD"}}]}"#))
            Self.expectError(untyped, .badRequest, "MISSING_SIGNATURE_TYPE")
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    /// Signers that take a job and disconnect: the job goes out again with the next attempt, and
    /// after `--max-attempts` lost attempts the document fails with `SIGNER_LOST`.
    @Test func aDocumentWhoseSignersAllVanishEndsSignerLost() async throws {
        let (built, workspace, keys) = try await Self.gateway { $0.maxAttempts = 2 }
        try await built.application.test(.router) { client in
            let endpoint = try await built.hub.boundEndpoint()
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: try Self.body(documents: 1))
            let id = try #require(Self.json(started).operationID)
            for attempt in 1...2 {
                let signer = try await FakeSigner(
                    endpoint: endpoint, id: "vanishing-\(attempt)", serverKey: built.signerPublicKey, keys: keys)
                signer.send(.ready(.init(signerID: signer.id, credit: 1, pid: 1, host: "test")))
                let job = try await signer.nextJob()
                #expect(job.operationID == id && job.document == 0 && job.attempt == attempt)
                // The job names the client service whose operation it is: its backend signs as that client.
                #expect(job.clientService == "alice")
                signer.send(.disconnect(reason: "gone"))
                await signer.close()
            }
            let status = try await Self.waitForCompletion(id, client: client)
            #expect(status["status"] as? String == "EXECUTION_FAILED")
            let document = try #require((status["documentList"] as? [[String: Any]])?.first)
            #expect(document["signStatus"] as? String == "ERROR_SIGNING")
            #expect(document["signError"] as? String == "SIGNER_LOST")
            #expect(document["attempts"] as? Int == 2)
            // The finished answer is kept encoded (`StatusCache`): the same bytes again, still
            // only to its own client, and never after the operation is deleted.
            let path = "/v1/operations/\(id)"
            let first = try await client.execute(uri: path, method: .get, headers: Self.headers())
            let second = try await client.execute(uri: path, method: .get, headers: Self.headers())
            #expect(first.status == .ok && second.body == first.body && second.headers[.retryAfter] == nil)
            Self.expectError(
                try await client.execute(uri: path, method: .get, headers: Self.headers("bob")), .notFound,
                "OPERATION_NOT_FOUND")
            let signStash = try await client.execute(
                uri: OperationsController.signStashBase + "/operation/status/\(id)", method: .get,
                headers: Self.headers())
            #expect(Self.json(signStash)["status"] as? String == "EXECUTION_FAILED" && signStash.body != first.body)
            let deleted = try await client.execute(uri: path, method: .delete, headers: Self.headers())
            #expect(deleted.status == .noContent)
            Self.expectError(
                try await client.execute(uri: path, method: .get, headers: Self.headers()), .gone, "OPERATION_DELETED")
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    /// A signer disconnects holding a job; a real signer session gets it with attempt 2 and signs
    /// it, and the signature verifies.
    @Test func aJobHeldByADisconnectingSignerIsSignedByAnother() async throws {
        let (built, workspace, keys) = try await Self.gateway()
        try await built.application.test(.router) { client in
            let endpoint = try await built.hub.boundEndpoint()
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: try Self.body(documents: 1))
            let id = try #require(Self.json(started).operationID)
            let leaving = try await FakeSigner(
                endpoint: endpoint, id: "leaving", serverKey: built.signerPublicKey, keys: keys)
            leaving.send(.ready(.init(signerID: leaving.id, credit: 1, pid: 1, host: "test")))
            #expect(try await leaving.nextJob().attempt == 1)
            leaving.send(.disconnect(reason: "gone"))
            await leaving.close()

            let key = workspace.path("state/dev-signing-key.pem")
            let certificate = workspace.url("state/dev-signing-cert.pem")
            let context = ZMQContext()
            let session = SignerSession(
                configuration: .init(
                    gateway: endpoint, signerID: "real", slots: 1, heartbeatInterval: .milliseconds(100), liveness: 5,
                    shutdownGrace: .seconds(1), exitWithParent: false,
                    curve: (built.signerPublicKey, keys)),
                signer: DocumentSigner(backend: try LocalKeyBackend(keyFile: key, certificateFile: certificate.path)),
                context: context, logger: Logger(label: "test.signer"))
            let running = Task { try await session.run() }
            defer {
                running.cancel()
            }
            let status = try await Self.waitForCompletion(id, client: client)
            #expect(status["status"] as? String == "EXECUTED")
            let document = try #require((status["documentList"] as? [[String: Any]])?.first)
            #expect(document["attempts"] as? Int == 2)
            let raw = try await client.execute(
                uri: "/v1/operations/\(id)/documents/0", method: .get, headers: Self.headers())
            #expect(raw.status == .ok)
            let verified = try await Tools.opensslVerifyDetached(
                signature: Data(buffer: raw.body), content: Data("hello 0".utf8), trusting: certificate)
            #expect(verified.status == 0, "\(verified.stderr)")
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    /// A PAdES result sent as what the signature appended is checked by going on from the hash
    /// state the intake left (`IntakeHashes`), without reading the document back: the spool file
    /// is removed before the result arrives, and the document is still signed at its first attempt
    /// (reading the file, the gateway would reject it as content gone). The state is forgotten
    /// once the outcome is recorded.
    @Test func anAppendedPAdESResultIsCheckedFromTheIntakesHashState() async throws {
        let (built, workspace, keys) = try await Self.gateway()
        try await built.application.test(.router) { client in
            let pdf = SamplePDF().build(xref: .table)
            let body = try JSONSerialization.data(withJSONObject: [
                "documents": [
                    [
                        "documentRequest": [
                            "name": "invoice.pdf", "contentType": "application/pdf",
                            "base64Content": Data(pdf).base64EncodedString(),
                        ],
                        "signatureInfo": ["signatureType": "PAdES"],
                    ]
                ]
            ])
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: ByteBuffer(bytes: body))
            let id = try #require(Self.json(started).operationID, "\(String(buffer: started.body))")
            let original = try #require(built.registry.intakeHashes.original(operationID: id, document: 0))
            #expect(original.length == pdf.count)
            #expect(original.hash.finalize().hexString == SHA256.hash(data: pdf).hexString)

            let signer = try await FakeSigner(
                endpoint: try await built.hub.boundEndpoint(), id: "appending", serverKey: built.signerPublicKey,
                keys: keys)
            signer.send(.ready(.init(signerID: signer.id, credit: 1, pid: 1, host: "test")))
            let (job, content) = try await signer.nextJobWithBody()
            #expect(job.takesAppendedResult && content == pdf)
            let signed = try await DocumentSigner(
                backend: try LocalKeyBackend(
                    keyFile: workspace.path("state/dev-signing-key.pem"),
                    certificateFile: workspace.path("state/dev-signing-cert.pem"))
            ).sign(
                content, parameters: job.signature, client: "alice", expectedDigest: job.contentDigest,
                contentType: job.contentType)
            #expect(unlink(workspace.path("state/spool/\(id)/\(SpoolContentFile.name)")) == 0)
            var result = WireMessage.Result(job: job, signed: true)
            result.appended = true
            signer.send(.result(result, body: Array(signed[content.count...])))
            let status = try await Self.waitForCompletion(id, client: client)
            let document = try #require((status["documentList"] as? [[String: Any]])?.first)
            #expect(document["signStatus"] as? String == "SIGNED", "\(document)")
            #expect(document["attempts"] as? Int == 1)
            #expect(built.registry.intakeHashes.operationCount == 0)
            await signer.close()
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    /// A one-slot signer whose job stalls at a time-stamping authority that sent its headers and
    /// then nothing: the lease expires, the slot counts as free again, and the signer keeps
    /// receiving work — the other document is signed while the first one still hangs.
    @Test func aOneSlotSignerWithAStalledJobKeepsReceivingWork() async throws {
        let stalling = try StallingHTTPServer()
        defer { stalling.stop() }
        let (built, workspace, keys) = try await Self.gateway {
            $0.jobLease = .seconds(1)
            $0.maxAttempts = 2
        }
        try await built.application.test(.router) { client in
            let endpoint = try await built.hub.boundEndpoint()
            let certificate = workspace.url("state/dev-signing-cert.pem")
            let context = ZMQContext()
            let session = SignerSession(
                configuration: .init(
                    gateway: endpoint, signerID: "one-slot", slots: 1, heartbeatInterval: .milliseconds(500),
                    liveness: 100, shutdownGrace: .seconds(1), exitWithParent: false,
                    curve: (built.signerPublicKey, keys)),
                signer: DocumentSigner(
                    backend: try LocalKeyBackend(
                        keyFile: workspace.path("state/dev-signing-key.pem"), certificateFile: certificate.path),
                    timestampAuthority: TimestampAuthority(url: stalling.url, timeout: .seconds(600))),
                context: context, logger: Logger(label: "test.signer"))
            let running = Task { try await session.run() }
            defer { running.cancel() }
            let body = try Self.body([
                [
                    "documentRequest": ["name": "stalls", "base64Content": Data("first".utf8).base64EncodedString()],
                    "signatureInfo": ["signatureType": "CAdES", "applyTimestamp": true],
                ],
                ["documentRequest": ["name": "plain", "base64Content": Data("second".utf8).base64EncodedString()]],
            ])
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: body)
            let id = try #require(Self.json(started).operationID)
            let status = try await Self.waitForCompletion(id, client: client)
            let documents = try #require(status["documentList"] as? [[String: Any]])
            #expect(documents.map { $0["signStatus"] as? String } == ["ERROR_SIGNING", "SIGNED"], "\(documents)")
            #expect(documents.first?["signError"] as? String == "SIGNER_LOST")
            let raw = try await client.execute(
                uri: "/v1/operations/\(id)/documents/1", method: .get, headers: Self.headers())
            let verified = try await Tools.opensslVerifyDetached(
                signature: Data(buffer: raw.body), content: Data("second".utf8), trusting: certificate)
            #expect(verified.status == 0, "\(verified.stderr)")
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    /// A signer dies holding three jobs; each runs again alone. The signer that then dies
    /// running one alone marks it as the poison (`SIGNER_CRASHED`); the other two are signed by
    /// a third signer, one at a time, and are not failed for it.
    @Test func aDocumentThatKillsItsLoneSignerFailsCrashedAndTheOthersAreSigned() async throws {
        let (built, workspace, keys) = try await Self.gateway {
            $0.heartbeatInterval = .milliseconds(200)
            $0.liveness = 3
        }
        try await built.application.test(.router) { client in
            let endpoint = try await built.hub.boundEndpoint()
            let signer = DocumentSigner(
                backend: try LocalKeyBackend(
                    keyFile: workspace.path("state/dev-signing-key.pem"),
                    certificateFile: workspace.path("state/dev-signing-cert.pem")))
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: Self.headers(), body: try Self.body(documents: 3))
            let id = try #require(Self.json(started).operationID)
            func signers() async throws -> [[String: Any]] {
                let ready = try await client.execute(uri: "/health/ready", method: .get, headers: [:])
                return Self.json(ready)["signerList"] as? [[String: Any]] ?? []
            }
            func waitUntil(_ condition: () async throws -> Bool) async throws {
                let deadline = ContinuousClock.now.advanced(by: .seconds(20))
                while try await !condition() {
                    guard ContinuousClock.now < deadline else { throw TestFailure("condition not met in time") }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }

            let first = try await FakeSigner(
                endpoint: endpoint, id: "first", serverKey: built.signerPublicKey, keys: keys)
            first.send(.ready(.init(signerID: first.id, credit: 3, pid: 1, host: "h")))
            try await waitUntil { try await signers().first?["jobsInFlight"] as? Int == 3 }
            await first.die()
            try await waitUntil { try await signers().isEmpty }

            // The second takes one suspect alone, and dies with it.
            let second = try await FakeSigner(
                endpoint: endpoint, id: "second", serverKey: built.signerPublicKey, keys: keys)
            second.send(.ready(.init(signerID: second.id, credit: 3, pid: 2, host: "h")))
            let poison = try await second.nextJob()
            #expect(poison.attempt == 2)
            try await waitUntil { try await signers().first?["jobsInFlight"] as? Int == 1 }
            await second.die()
            try await waitUntil { try await signers().isEmpty }

            // The third signs the other two, each alone.
            let third = try await FakeSigner(
                endpoint: endpoint, id: "third", serverKey: built.signerPublicKey, keys: keys)
            third.send(.ready(.init(signerID: third.id, credit: 3, pid: 3, host: "h")))
            for _ in 0..<2 {
                let (job, body) = try await third.nextJobWithBody()
                #expect(job.document != poison.document && job.attempt == 2)
                #expect(try await signers().first?["jobsInFlight"] as? Int == 1, "a suspect ran beside another job")
                let signed = try await signer.sign(
                    body, parameters: job.signature, client: job.clientService ?? "", expectedDigest: job.contentDigest)
                third.send(.result(.init(job: job, signed: true), body: signed))
            }
            let status = try await Self.waitForCompletion(id, client: client)
            let documents = try #require(status["documentList"] as? [[String: Any]])
            for (index, document) in documents.enumerated() {
                if index == poison.document {
                    #expect(document["signError"] as? String == "SIGNER_CRASHED", "\(document)")
                } else {
                    #expect(document["signStatus"] as? String == "SIGNED", "\(document)")
                }
                #expect(document["attempts"] as? Int == 2)
            }
            await third.close()
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    static func waitForCompletion(_ id: String, client: some TestClientProtocol) async throws -> [String: Any] {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            let status = Self.json(
                try await client.execute(uri: "/v1/operations/\(id)", method: .get, headers: Self.headers()))
            if status["status"] as? String != "PENDING_EXECUTION" { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("operation \(id) did not finish")
    }
}

/// Where the local signers connect (`GatewayConfiguration.localSignerSocket`).
struct LocalSignerSocketTests {
    @Test func aUnixSocketInTheStateFolderUnlessItsPathIsTooLong() {
        var configuration = GatewayConfiguration()
        configuration.stateDirectory = "/var/lib/signet"
        configuration.localSigners = 0
        #expect(configuration.localSignerSocket == nil)
        configuration.localSigners = 2
        #expect(configuration.localSignerSocket == "ipc:///var/lib/signet/signers.ipc")
        // A relative state folder is made absolute: signers need not share the working directory.
        configuration.stateDirectory = "state"
        #expect(
            configuration.localSignerSocket == "ipc://" + FileManager.default.currentDirectoryPath
                + "/state/signers.ipc")
        // Too long for a socket address: nil, and the local signers use the TCP endpoint with CURVE.
        configuration.stateDirectory = "/" + String(repeating: "d", count: 90)
        #expect(configuration.localSignerSocket == nil)
    }
}
