import Foundation
import TestSupport
import Testing

/// A Sign'Stash integration against Signet, changing only its base URL (../shared/SIGNSTASH.md):
/// the token path and answer, the synchronous paths with `returnSignedContent`, the operation
/// look-up paths, the zip of documents, Sign'Stash's answer fields and error codes — and `/v1`
/// keeping Signet's own codes.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SignStashCompatibilityEndToEndTests {
    static let base = "/signstash/einvoice-integration-client-ws/api/v0"

    static func request(
        reference: String, documents: [Requests.Document], returnSignedContent: Bool? = nil
    ) throws -> Data {
        var object =
            try JSONSerialization.jsonObject(with: try Requests.operation(reference: reference, documents: documents))
            as? [String: Any] ?? [:]
        if let returnSignedContent { object["returnSignedContent"] = returnSignedContent }
        object["preservationInfo"] = ["preserveContent": false, "alias": "ignored"]
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test func aSignStashIntegrationWorksByChangingItsBaseURL() async throws {
        let gateway = try GatewayProcess(localSigners: 1)
        try await gateway.waitUntilReady()
        do {
            // The token as Sign'Stash issues it: grant_type in the query, HTTP Basic.
            let token = try await gateway.request(
                .POST, "/oauth2/authorization-server/oauth/token?grant_type=client_credentials", user: "alice")
            #expect(token.status == 200)
            #expect(token.json["token_type"] as? String == "bearer")
            #expect(token.json["scope"] as? String == "read write")
            #expect((token.json["jti"] as? String)?.isEmpty == false)
            #expect((token.json["expires_in"] as? Int ?? 0) > 0)
            let bearer = "Bearer " + (try #require(token.json["access_token"] as? String))

            let documents = [
                Requests.Document(
                    name: "invoice.pdf", contentType: "application/pdf",
                    content: Data(SamplePDF.page(showing: "Invoice 1")), signatureType: "PAdES"),
                Requests.Document(
                    name: "invoice.xml", contentType: "text/xml",
                    content: Data("<Invoice><ID>1</ID></Invoice>".utf8), signatureType: "CAdES"),
                Requests.Document(
                    name: "broken.pdf", contentType: "application/pdf", content: Data("not a pdf".utf8),
                    signatureType: "PAdES"),
            ]
            // Synchronous, without returnSignedContent: the answer has no content.
            let plain = try await gateway.request(
                .POST, Self.base + "/document/sign/base64/", user: nil,
                body: try Self.request(reference: "ss-1", documents: documents), authorization: bearer)
            #expect(plain.status == 200, "\(String(decoding: plain.body, as: UTF8.self))")
            let operation = plain.json
            let idNumber = try #require(operation["id"] as? NSNumber, "the id is a JSON number")
            let id = "\(idNumber.int64Value)"
            #expect(operation["type"] as? String == "SIGN")
            #expect(operation["status"] as? String == "EXECUTED")
            #expect(operation["issuerClientServiceAlias"] as? String == "alice")
            #expect(operation["folderExternalReference"] as? String == "ss-1")
            let folder = try #require(operation["folder"] as? [String: Any])
            #expect(folder["folderContent"] as? String == "HASH")
            #expect((folder["folderId"] as? NSNumber)?.int64Value == idNumber.int64Value)
            #expect(operation["host"] as? String == "127.0.0.1" && operation["port"] as? Int == gateway.port)
            let list = try #require(operation["documentList"] as? [[String: Any]])
            #expect(list.map { $0["internalId"] as? Int } == [1, 2, 3])
            #expect(list.allSatisfy { $0["signedContent"] == nil && $0["receptionDate"] is String })
            #expect(list.map { $0["contentLength"] as? Int } == documents.map(\.content.count))
            #expect(list.map { $0["signStatus"] as? String } == ["SIGNED", "SIGNED", "ERROR_SIGNING"])
            // The nearest Sign'Stash signError, Signet's precise code beside it.
            #expect(list[2]["signError"] as? String == "CONFIGURATION_SIGN_ERROR")
            #expect(list[2]["signErrorDetail"] as? String == "NOT_A_PDF")
            // JSON written plainly.
            let text = String(decoding: plain.body, as: UTF8.self)
            #expect(text.contains(#""contentType":"text/xml""#) && !text.contains(#"\/"#))

            // The look-up paths.
            let status = try await gateway.request(.GET, Self.base + "/operation/status/\(id)", authorization: bearer)
            #expect(status.status == 200 && status.json.operationID == id)
            #expect(
                (status.json["documentList"] as? [[String: Any]])?.allSatisfy { $0["signedContent"] == nil } == true)
            let detail = try await gateway.request(
                .GET, Self.base + "/operation/sign/detail/\(id)/contentInResponse/true", authorization: bearer)
            let detailed = try #require(detail.json["documentList"] as? [[String: Any]])
            let signature = try #require(Data(base64Encoded: detailed[1]["signedContent"] as? String ?? ""))
            let verified = try await Tools.opensslVerifyDetached(
                signature: signature, content: documents[1].content, trusting: gateway.developmentCertificate)
            #expect(verified.status == 0, "\(verified.stderr)")
            let bare = try await gateway.request(
                .GET, Self.base + "/operation/sign/detail/\(id)/contentInResponse/false", authorization: bearer)
            #expect((bare.json["documentList"] as? [[String: Any]])?.allSatisfy { $0["signedContent"] == nil } == true)
            let byReference = try await gateway.request(
                .GET, Self.base + "/operation/id/withDocumentExternalReference/invoice.xml", authorization: bearer)
            #expect(byReference.status == 200)
            #expect(String(decoding: byReference.body, as: UTF8.self) == id)

            // The zip of the signed documents: `<document externalReference>.<name>`.
            let zip = try await gateway.request(
                .GET, Self.base + "/operation/sign/detail/\(id)/documents", user: "alice")
            #expect(zip.status == 200)
            #expect(zip.headers.first(name: "Content-Type") == "application/zip")
            let entries = try await Self.unzip(zip.body)
            #expect(entries.keys.sorted() == ["invoice.pdf.invoice.pdf", "invoice.xml.invoice.xml.p7s"])
            #expect(entries["invoice.xml.invoice.xml.p7s"] == signature)
            let signedPDF = try #require(entries["invoice.pdf.invoice.pdf"])
            #expect(signedPDF.starts(with: documents[0].content) && signedPDF.count > documents[0].content.count)
            // The same zip from /v1 with Accept: application/zip.
            let v1Zip = try await gateway.request(
                .GET, "/v1/operations/\(id)/result", headers: [("Accept", "application/zip")])
            #expect(try await Self.unzip(v1Zip.body) == entries)

            // With returnSignedContent: the content is in the answer.
            let withContent = try await gateway.request(
                .POST, Self.base + "/document/sign/base64/", user: nil,
                body: try Self.request(
                    reference: "ss-2", documents: Array(documents[1...1]), returnSignedContent: true),
                authorization: bearer)
            let signed = try #require(withContent.json["documentList"] as? [[String: Any]])
            #expect(signed.first?["signedContent"] is String)

            // By external reference on /v1: several at once; with contentInResponse the finished
            // ones with their content.
            let both = try await gateway.request(.GET, "/v1/operations?externalReference=ss-1&externalReference=ss-2")
            #expect(both.jsonArray.compactMap { $0.operationID }.count == 2)
            let results = try await gateway.request(
                .GET, "/v1/operations?externalReference=ss-1&externalReference=ss-2&contentInResponse=true")
            #expect(results.status == 200)
            let contents = results.jsonArray.flatMap { $0["documentList"] as? [[String: Any]] ?? [] }
            #expect(contents.filter { $0["signedContent"] is String }.count == 3)
            // On /v1 the precise code stays.
            let v1 = try await gateway.request(.GET, "/v1/operations/\(id)")
            #expect((v1.json["documentList"] as? [[String: Any]])?[2]["signError"] as? String == "NOT_A_PDF")

            // Errors in the codes Sign'Stash clients know, with 4xx statuses.
            let reused = try await gateway.request(
                .POST, Self.base + "/document/sign/base64/", user: nil,
                body: try Self.request(reference: "ss-1", documents: Array(documents[0...0])), authorization: bearer)
            #expect(reused.status == 409)
            #expect(reused.json["errorCode"] as? String == "0.0.7")
            #expect(reused.json["signetErrorCode"] as? String == "EXTERNAL_REFERENCE_CONFLICT")
            let untyped = try await gateway.request(
                .POST, Self.base + "/document/sign/base64/", user: nil,
                body: Data(
                    #"{"externalReference":"x","documents":[{"documentRequest":{"base64Content":"QUJD"}}]}"#.utf8),
                authorization: bearer)
            #expect(untyped.status == 400 && untyped.json["errorCode"] as? String == "0.0.2")
            let anonymous = try await gateway.request(.GET, Self.base + "/operation/status/\(id)", user: nil)
            #expect(anonymous.status == 401 && anonymous.json["errorCode"] as? String == "1.1.0")
            let unknown = try await gateway.request(.GET, Self.base + "/operation/status/123", authorization: bearer)
            #expect(unknown.status == 404 && unknown.json["errorCode"] as? String == "0.0.6")
            let v1Untyped = try await gateway.request(
                .POST, "/v1/operations",
                body: Data(#"{"documents":[{"documentRequest":{"base64Content":"QUJD"}}]}"#.utf8))
            #expect(v1Untyped.status == 400 && v1Untyped.json["errorCode"] as? String == "MISSING_SIGNATURE_TYPE")
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    /// A zip's entries, read by Python's `zipfile` (not by the code that wrote it).
    static func unzip(_ data: Data) async throws -> [String: Data] {
        let workspace = try Workspace("zip")
        try data.write(to: workspace.url("a.zip"))
        let listed = try await Shell.run(
            "python3",
            [
                "-c",
                """
                import base64, json, sys, zipfile
                z = zipfile.ZipFile(sys.argv[1])
                assert z.testzip() is None
                print(json.dumps({n: base64.b64encode(z.read(n)).decode() for n in z.namelist()}))
                """,
                workspace.path("a.zip"),
            ])
        guard listed.status == 0 else { throw TestFailure("zipfile: \(listed.output)") }
        let object = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: String] ?? [:]
        return object.compactMapValues { Data(base64Encoded: $0) }
    }
}
