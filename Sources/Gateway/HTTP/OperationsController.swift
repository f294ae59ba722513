import Common
import Foundation
import HTTPTypes
import Hummingbird

/// The client API: operations, results, documents and the Sign'Stash synchronous aliases. It
/// talks to the operation table (`OperationRegistry`) only; the signer hub follows the table.
struct OperationsController: Sendable {
    struct Limits: Sendable {
        var maxRequestBytes: Int
        var maxDocuments: Int
        var maxWait: Duration
        var syncTimeout: Duration
        /// The whole request body must arrive within this (a client dripping it holds nothing longer).
        var requestTimeout: Duration
        /// Everything of a request that is not document content (JSON metadata, form fields).
        var maxMetadataBytes = 16 * 1024 * 1024
        /// New work is refused (507) when the spool's free space is below this multiple of the request.
        var minFreeDiskRatio = 3.0
    }

    let registry: OperationRegistry
    let auth: Authenticator
    let advertised: AdvertisedAddress
    let ids: OperationIDs
    let limits: Limits
    let peers: PeerDirectory
    let statusCache = StatusCache()

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        router.post("/v1/operations") { request, context in try await self.start(request, context) }
        router.get("/v1/operations") { request, context in try await self.find(request, context) }
        router.get("/v1/operations/:id") { request, context in try await self.status(request, context) }
        router.delete("/v1/operations/:id") { request, context in try await self.delete(request, context) }
        router.get("/v1/operations/:id/result") { request, context in try await self.result(request, context) }
        router.get("/v1/operations/:id/documents/:n") { request, context in try await self.document(request, context) }
        addSignStashRoutes(to: router)
    }

    // MARK: - Handlers

    func start(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let clientID = try auth.clientID(for: request)
        let operation = try await admit(request, context: context, clientID: clientID).operation
        if let wait = Self.preferredWait(request.headers), wait > .zero,
            case .live(let waited) = await registry.waitUntilFinished(
                id: operation.id, clientID: clientID, timeout: min(wait, limits.maxWait)),
            waited.isFinished
        {
            return try json(view(waited), status: .ok, location: waited.id)
        }
        return try json(view(operation), status: .accepted, location: operation.id, retryAfter: true)
    }

    func status(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let operation = try await owned(request, context)
        return statusResponse(operation, retryAfter: !operation.isFinished)
    }

    /// The client's operations with any of the `externalReference`s given (repeat the parameter),
    /// oldest first; with `contentInResponse=true`, only the finished ones, each with every
    /// signed document (Sign'Stash's asynchronous "result by external reference").
    func find(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let clientID = try auth.clientID(for: request)
        let references = request.uri.queryParameters.getAll("externalReference").filter { !$0.isEmpty }
        guard !references.isEmpty else {
            throw APIError.badRequest("MISSING_EXTERNAL_REFERENCE", "the externalReference query parameter is required")
        }
        var operations: [Operation] = []
        var seen: Set<String> = []
        for reference in references {
            for operation in await registry.operations(clientID: clientID, externalReference: String(reference))
            where seen.insert(operation.id).inserted {
                operations.append(operation)
            }
        }
        guard try Self.contentInResponse(request.uri.queryParameters.get("contentInResponse")) ?? false else {
            return try json(operations.map { view($0) }, status: .ok)
        }
        return resultsResponse(operations.filter(\.isFinished), surface: .signet)
    }

    /// `contentInResponse` (a path segment or a query parameter): `true` or `false`, any case.
    static func contentInResponse(_ text: (some StringProtocol)?) throws -> Bool? {
        switch text?.lowercased() {
        case nil: return nil
        case "true": return true
        case "false": return false
        case let other?:
            throw APIError.badRequest("INVALID_PARAMETER", "contentInResponse must be true or false, not '\(other)'")
        }
    }

    /// Cancels what has not run and forgets the results: 204, then 410 for this id.
    func delete(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let clientID = try auth.clientID(for: request)
        guard let id = context.parameters.get("id") else { throw APIError.notFound() }
        switch try await registry.delete(id: id, clientID: clientID) {
        case .live: return Response(status: .noContent)
        case .retired(let tombstone): throw APIError.gone(tombstone)
        case .unknown: throw await unknown(id, request)
        }
    }

    /// The finished operation with every signed document: JSON, or a zip with `Accept: application/zip`.
    func result(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let operation = try await owned(request, context)
        guard operation.isFinished else { throw APIError.notFinished(operation) }
        if Self.wantsZip(request.headers) { return try await ResultArchive.response(operation, registry: registry) }
        return resultResponse(operation)
    }

    /// `Accept` names `application/zip` before (or without) JSON.
    static func wantsZip(_ headers: HTTPFields) -> Bool {
        let accepted = headers[values: .accept].flatMap { $0.split(separator: ",") }.map {
            $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard let zip = accepted.firstIndex(of: "application/zip") else { return false }
        return accepted.firstIndex(where: { $0 == "application/json" || $0 == "*/*" }).map { zip < $0 } ?? true
    }

    func document(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let index = context.parameters.get("n", as: Int.self), index >= 0 else {
            throw APIError.badRequest("INVALID_PARAMETER", "the document number is a whole number from 0")
        }
        let operation = try await owned(request, context)
        guard operation.documents.indices.contains(index) else {
            throw APIError.notFound(
                "DOCUMENT_NOT_FOUND", "documents are numbered from 0 to \(operation.documents.count - 1)")
        }
        let record = operation.documents[index]
        guard record.status == .signed,
            let signed = try await SpoolStreaming.SignedBytes.locate(operation, index, in: registry)
        else {
            throw APIError(
                status: .conflict, errorCode: "DOCUMENT_NOT_SIGNED",
                causeMessage: "document \(index) is \(record.status.rawValue)")
        }
        let (contentType, fileName) = Self.signedFile(record)
        var headers: HTTPFields = [.contentType: contentType]
        headers[.contentDisposition] = "attachment; filename=\"\(fileName.replacingOccurrences(of: "\"", with: ""))\""
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: signed.size) { writer in
                try await signed.write(to: &writer, encode: false)
                try await writer.finish(nil)
            })
    }

    /// Sign'Stash's synchronous mode: waits for the operation (up to `--sync-timeout`) and
    /// answers it, with `signedContent` only when the request's `returnSignedContent` is true.
    func signSynchronously(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let clientID = try auth.clientID(for: request)
        let (operation, returnSignedContent) = try await admit(request, context: context, clientID: clientID)
        switch await registry.waitUntilFinished(id: operation.id, clientID: clientID, timeout: limits.syncTimeout) {
        case .live(let finished) where finished.isFinished:
            guard returnSignedContent else { return try json(view(finished, surface: .signStash), status: .ok) }
            return resultResponse(finished, surface: .signStash)
        case .retired(let tombstone):
            throw APIError.gone(tombstone)
        default:
            throw APIError(
                status: .gatewayTimeout, errorCode: "SIGNING_TIMEOUT",
                causeMessage:
                    "operation \(operation.id) is still running; fetch it at /v1/operations/\(operation.id)/result")
        }
    }

    // MARK: - Helpers

    func owned(_ request: Request, _ context: BasicRequestContext) async throws -> Operation {
        let clientID = try auth.clientID(for: request)
        guard let id = context.parameters.get("id") else { throw APIError.notFound() }
        switch await registry.lookup(id: id, clientID: clientID) {
        case .live(let operation): return operation
        case .retired(let tombstone): throw APIError.gone(tombstone)
        case .unknown: throw await unknown(id, request)
        }
    }

    /// An id this gateway does not hold. One minted by another instance is answered `307` to its
    /// owner when that is a peer, else `404 OPERATION_ON_OTHER_INSTANCE` naming the owner: never
    /// the bare unknown-operation answer, which a client would take as lost work.
    private func unknown(_ id: String, _ request: Request) async -> APIError {
        guard let tag = OperationIDs.instance(of: id), tag != ids.instance else { return .notFound() }
        guard let owner = await peers.url(ofInstance: tag) else {
            return .notFound(
                "OPERATION_ON_OTHER_INSTANCE",
                "operation \(id) belongs to gateway instance \(tag), which is not one of this gateway's peers: ask the host and port its start answered with"
            )
        }
        var location = owner + request.uri.path
        if let query = request.uri.query, !query.isEmpty { location += "?" + query }
        return APIError(
            status: .temporaryRedirect, errorCode: "OPERATION_ON_OTHER_INSTANCE",
            causeMessage: "operation \(id) is kept by gateway instance \(tag) at \(owner)",
            headers: [.location: location])
    }

    func view(_ operation: Operation, surface: OperationView.Surface = .signet) -> OperationView {
        OperationView(operation, host: advertised.host, port: advertised.port, surface: surface)
    }

    /// The operation with every signed document, written as it is read from the spool.
    func resultResponse(_ operation: Operation, surface: OperationView.Surface = .signet) -> Response {
        let registry = self.registry
        let view = view(operation, surface: surface)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody { writer in
                try await SpoolStreaming.writeResult(view, operation: operation, registry: registry, to: &writer)
                try await writer.finish(nil)
            })
    }

    /// A JSON array of results, each written as it is read from the spool.
    func resultsResponse(_ operations: [Operation], surface: OperationView.Surface) -> Response {
        let registry = self.registry
        let views = operations.map { (view($0, surface: surface), $0) }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "["))
                for (index, (view, operation)) in views.enumerated() {
                    if index > 0 { try await writer.write(ByteBuffer(string: ",")) }
                    try await SpoolStreaming.writeResult(view, operation: operation, registry: registry, to: &writer)
                }
                try await writer.write(ByteBuffer(string: "]"))
                try await writer.finish(nil)
            })
    }

    func json(
        _ value: some Encodable, status: HTTPResponse.Status, location id: String? = nil, retryAfter: Bool = false
    ) throws -> Response {
        try .json(value, status: status, headers: headers(location: id, retryAfter: retryAfter))
    }

    /// An operation's `Location` (on this instance) and `Retry-After` while it runs.
    private func headers(location id: String?, retryAfter: Bool) -> HTTPFields {
        var headers: HTTPFields = [:]
        if let id { headers[.location] = advertised.url("/v1/operations/\(id)") }
        if retryAfter { headers[.retryAfter] = "1" }
        return headers
    }

    /// An operation's view, written without `JSONEncoder` (OperationView+JSON.swift).
    func json(
        _ view: OperationView, status: HTTPResponse.Status, location id: String? = nil, retryAfter: Bool = false
    ) -> Response {
        json(bytes: view.jsonBytes(), status: status, location: id, retryAfter: retryAfter)
    }

    /// An operation's status, encoded once when it is finished (`StatusCache`).
    func statusResponse(
        _ operation: Operation, surface: OperationView.Surface = .signet, retryAfter: Bool = false
    ) -> Response {
        var headers = headers(location: nil, retryAfter: retryAfter)
        headers[.contentType] = "application/json"
        let body = statusCache.body(of: operation, surface: surface) { view(operation, surface: surface).jsonBytes() }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    func json(_ views: [OperationView], status: HTTPResponse.Status) -> Response {
        json(bytes: OperationView.jsonBytes(of: views), status: status)
    }

    private func json(
        bytes: [UInt8], status: HTTPResponse.Status, location id: String? = nil, retryAfter: Bool = false
    ) -> Response {
        var headers = headers(location: id, retryAfter: retryAfter)
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
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
