import Common
import Foundation
import HTTPTypes
import Hummingbird

/// The client API: operations, results, documents and the Sign'Stash synchronous alias.
struct OperationsController: Sendable {
    struct Limits: Sendable {
        var maxRequestBytes: Int
        var maxDocuments: Int
        var maxWait: Duration
        var syncTimeout: Duration
        /// The whole request body must arrive within this (a client dripping it holds nothing longer).
        var requestTimeout: Duration
    }

    let store: any OperationStore
    let hub: SignerHub
    let auth: Authenticator
    let advertised: AdvertisedAddress
    let limits: Limits

    static let syncPath = "/signstash/einvoice-integration-client-ws/api/v0/document/sign/base64/"

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/operations") { request, context in try await self.start(request, context) }
        router.get("/v1/operations") { request, context in try await self.find(request, context) }
        router.get("/v1/operations/:id") { request, context in try await self.status(request, context) }
        router.get("/v1/operations/:id/result") { request, context in try await self.result(request, context) }
        router.get("/v1/operations/:id/documents/:n") { request, context in try await self.document(request, context) }
        router.post(RouterPath(Self.syncPath)) { request, context in try await self.signSynchronously(request, context)
        }
    }

    // MARK: - Handlers

    func start(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let clientID = try auth.clientID(for: request)
        let operation = try await admit(request, clientID: clientID)
        if let wait = Self.preferredWait(request.headers), wait > .zero {
            let waited =
                await store.waitUntilFinished(id: operation.id, clientID: clientID, timeout: min(wait, limits.maxWait))
                ?? operation
            if waited.isFinished {
                return try json(
                    OperationView(waited, host: advertised.host, port: advertised.port), status: .ok,
                    location: waited.id)
            }
        }
        return try json(
            OperationView(operation, host: advertised.host, port: advertised.port), status: .accepted,
            location: operation.id, retryAfter: true)
    }

    func status(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let operation = try await owned(request, context)
        return try json(
            OperationView(operation, host: advertised.host, port: advertised.port), status: .ok,
            retryAfter: !operation.isFinished)
    }

    func find(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let clientID = try auth.clientID(for: request)
        guard let reference = request.uri.queryParameters.get("externalReference"), !reference.isEmpty else {
            throw APIError.badRequest("MISSING_EXTERNAL_REFERENCE", "the externalReference query parameter is required")
        }
        let operations = await store.operations(clientID: clientID, externalReference: reference)
        return try json(operations.map { OperationView($0, host: advertised.host, port: advertised.port) }, status: .ok)
    }

    func result(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let operation = try await owned(request, context)
        guard operation.isFinished else {
            var error = APIError(
                status: .conflict, errorCode: "OPERATION_NOT_FINISHED",
                causeMessage: "operation \(operation.id) is \(operation.status.rawValue); poll its status")
            error.headers[.retryAfter] = "1"
            throw error
        }
        return try json(try await resultView(operation), status: .ok)
    }

    func document(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let operation = try await owned(request, context)
        guard let index = context.parameters.get("n", as: Int.self), operation.documents.indices.contains(index) else {
            throw APIError.notFound(
                "DOCUMENT_NOT_FOUND", "documents are numbered from 0 to \(operation.documents.count - 1)")
        }
        let record = operation.documents[index]
        guard record.status == .signed,
            let bytes = try await store.signedContent(operationID: operation.id, document: index)
        else {
            throw APIError(
                status: .conflict, errorCode: "DOCUMENT_NOT_SIGNED",
                causeMessage: "document \(index) is \(record.status.rawValue)")
        }
        let (contentType, fileName) = Self.signedFile(record)
        var headers: HTTPFields = [.contentType: contentType]
        headers[.contentDisposition] = "attachment; filename=\"\(fileName.replacingOccurrences(of: "\"", with: ""))\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func signSynchronously(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let clientID = try auth.clientID(for: request)
        let operation = try await admit(request, clientID: clientID)
        let finished =
            await store.waitUntilFinished(id: operation.id, clientID: clientID, timeout: limits.syncTimeout)
            ?? operation
        guard finished.isFinished else {
            throw APIError(
                status: .gatewayTimeout, errorCode: "SIGNING_TIMEOUT",
                causeMessage:
                    "operation \(operation.id) is still running; fetch it at /v1/operations/\(operation.id)/result")
        }
        return try json(try await resultView(finished), status: .ok)
    }

    // MARK: - Helpers

    private func admit(_ request: Request, clientID: String) async throws -> Operation {
        if let type = request.headers[.contentType]?.lowercased(), !type.hasPrefix("application/json"),
            !type.hasPrefix("text/json")
        {
            throw APIError(
                status: .unsupportedMediaType, errorCode: "UNSUPPORTED_MEDIA_TYPE",
                causeMessage: "send application/json")
        }
        let body = try await Self.collectBody(of: request, limits: limits)
        let decoded: OperationRequest
        do {
            decoded = try JSONDecoder().decode(OperationRequest.self, from: Data(buffer: body))
        } catch {
            throw APIError.badRequest("INVALID_JSON", Self.explain(error))
        }
        let admitted = try decoded.validated(maxDocuments: limits.maxDocuments)
        let now = Date()
        let operation = Operation(
            id: advertised.newOperationID(), clientID: clientID, externalReference: admitted.externalReference,
            idempotencyKey: request.headers[.idempotencyKey], description: admitted.description,
            fingerprint: admitted.fingerprint, creationDate: now,
            finishedDate: admitted.documents.contains { $0.status == .received } ? nil : now,
            documents: admitted.documents)
        switch try await store.admit(operation, contents: admitted.contents) {
        case .created(let created):
            await hub.enqueue(
                created.documents.indices.filter { created.documents[$0].status == .received }.map {
                    JobRef(operationID: created.id, document: $0, contentDigest: created.documents[$0].contentDigest)
                })
            return created
        case .existing(let existing):
            return existing
        case .conflict(let existingID):
            throw APIError(
                status: .conflict, errorCode: "EXTERNAL_REFERENCE_CONFLICT",
                causeMessage:
                    "operation \(existingID) already uses this externalReference (or Idempotency-Key) with another payload"
            )
        }
    }

    private func owned(_ request: Request, _ context: BasicRequestContext) async throws -> Operation {
        let clientID = try auth.clientID(for: request)
        guard let id = context.parameters.get("id"), let operation = await store.operation(id: id, clientID: clientID)
        else {
            throw APIError.notFound()
        }
        return operation
    }

    private func resultView(_ operation: Operation) async throws -> OperationView {
        var signed: [Int: [UInt8]] = [:]
        for index in operation.documents.indices where operation.documents[index].status == .signed {
            signed[index] = try await store.signedContent(operationID: operation.id, document: index)
        }
        return OperationView(operation, host: advertised.host, port: advertised.port, signed: { signed[$0] })
    }

    private func json(
        _ value: some Encodable, status: HTTPResponse.Status, location id: String? = nil, retryAfter: Bool = false
    ) throws -> Response {
        var headers: HTTPFields = [:]
        if let id { headers[.location] = advertised.url("/v1/operations/\(id)") }
        if retryAfter { headers[.retryAfter] = "1" }
        return try .json(value, status: status, headers: headers)
    }

    /// The request body, at most `maxRequestBytes`, within `requestTimeout`.
    static func collectBody(of request: Request, limits: Limits) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var request = request
                do {
                    return try await request.collectBody(upTo: limits.maxRequestBytes)
                } catch {
                    throw APIError(
                        status: .contentTooLarge, errorCode: "PAYLOAD_TOO_LARGE",
                        causeMessage: "the body exceeds \(limits.maxRequestBytes) bytes")
                }
            }
            group.addTask {
                try await Task.sleep(for: limits.requestTimeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else {
                throw APIError(
                    status: .requestTimeout, errorCode: "REQUEST_TIMEOUT",
                    causeMessage: "the request body did not arrive within \(limits.requestTimeout)")
            }
            return body
        }
    }

    /// `Prefer: wait=N` (RFC 7240).
    static func preferredWait(_ headers: HTTPFields) -> Duration? {
        for value in headers[values: .prefer] {
            for preference in value.split(separator: ",") {
                let parts = preference.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                // Any number is taken (inf and 1e20 included) but capped before it becomes a
                // duration; NaN and negative values mean no wait.
                if parts.count == 2, parts[0].lowercased() == "wait", let seconds = Double(parts[1]), seconds >= 0 {
                    return .milliseconds(Int64(min(seconds, 86_400) * 1000))
                }
            }
        }
        return nil
    }

    static func signedFile(_ record: DocumentRecord) -> (contentType: String, fileName: String) {
        switch record.signature.signatureType.uppercased() {
        case "CADES": ("application/pkcs7-signature", record.name + ".p7s")
        case "PADES": ("application/pdf", record.name)
        default: (record.contentType, record.name)
        }
    }

    /// A decoding error as a client can act on it: which field, what was wrong.
    static func explain(_ error: any Error) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(
                in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "missing field \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let context): return "wrong type at \(path(context.codingPath))"
        case DecodingError.valueNotFound(_, let context): return "null value at \(path(context.codingPath))"
        case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "invalid value at \(path(context.codingPath))"
        default: return "the body is not valid JSON"
        }
    }
}
