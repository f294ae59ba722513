import Foundation
import HTTPTypes
import Hummingbird

extension OperationsController {
    // MARK: - Admission

    /// Receives a request into the spool and admits it: the answer goes out only once the
    /// operation is on disk. Nothing of a refused or failed request stays behind. Each request
    /// is counted by how it ended and logged with the request's id and the operation's.
    func admit(_ request: Request, context: BasicRequestContext, clientID: String) async throws -> (
        operation: Operation, returnSignedContent: Bool
    ) {
        let metrics = registry.metrics
        do {
            let admitted = try await admitCounted(request, clientID: clientID)
            metrics.operationStarted(admitted.isNew ? .accepted : .existing)
            context.logger.info(
                admitted.isNew ? "operation accepted" : "operation request repeated: the existing operation answers",
                metadata: [
                    "operation.id": "\(admitted.operation.id)", "client.id": "\(clientID)",
                    "documents.count": "\(admitted.operation.documents.count)",
                ])
            return (admitted.operation, admitted.returnSignedContent)
        } catch {
            let outcome = Self.startOutcome(of: error)
            metrics.operationStarted(outcome)
            context.logger.info(
                "operation not started",
                metadata: [
                    "client.id": "\(clientID)", "start.outcome": "\(outcome.rawValue)",
                    "error.code": "\((error as? APIError)?.errorCode ?? "STORAGE_ERROR")",
                ])
            throw error
        }
    }

    /// How a refused start is counted (`signet_operations_started_total`).
    static func startOutcome(of error: any Error) -> GatewayMetrics.StartOutcome {
        guard let error = error as? APIError else { return .failed }
        switch error.status.code {
        case 409: return .conflict
        case 429, 503, 507: return .refused
        case 400..<500: return .invalid
        default: return .failed
        }
    }

    private func admitCounted(_ request: Request, clientID: String) async throws -> (
        operation: Operation, returnSignedContent: Bool, isNew: Bool
    ) {
        let kind = try Self.bodyKind(request.headers[.contentType])
        do {
            try await registry.reserve(clientID: clientID)
        } catch {
            throw APIError.refused(error)
        }
        let outcome: Result<(operation: Operation, returnSignedContent: Bool, isNew: Bool), any Error>
        do {
            outcome = .success(try await admitReserved(request, kind: kind, clientID: clientID))
        } catch {
            outcome = .failure(error)
        }
        await registry.release(clientID: clientID)
        return try outcome.get()
    }

    private func admitReserved(_ request: Request, kind: BodyKind, clientID: String) async throws -> (
        operation: Operation, returnSignedContent: Bool, isNew: Bool
    ) {
        let incoming: IncomingFolder
        do {
            incoming = try registry.spool.makeIncoming()
        } catch {
            throw APIError.storage("\(error)")
        }
        let admission: OperationTable.Admission
        let returnSignedContent: Bool
        do {
            let (streamed, contents) = try await receive(request, kind: kind, into: incoming)
            let admitted = try streamed.request.validated(
                maxDocuments: limits.maxDocuments, contents: contents,
                visibleSignatureTemplate: auth.clients.visibleSignatureTemplate(for: clientID))
            returnSignedContent = admitted.returnSignedContent
            let now = Date()
            let operation = Operation(
                id: ids.next(), clientID: clientID, externalReference: admitted.externalReference,
                idempotencyKey: request.headers[.idempotencyKey], description: admitted.description,
                fingerprint: admitted.fingerprint, creationDate: now,
                finishedDate: admitted.documents.contains { $0.status == .received } ? nil : now,
                documents: admitted.documents)
            var originals: [Int: IntakeHashes.Original] = [:]
            for (index, document) in operation.documents.enumerated()
            where document.status == .received && document.signature.signatureType.uppercased() == "PADES" {
                originals[index] = contents[index]?.original
            }
            admission = try await registry.admit(operation, incoming: incoming, originals: originals)
        } catch let refusal as OperationRegistry.Refusal {
            incoming.discard()
            throw APIError.refused(refusal)
        } catch let error as APIError {
            incoming.discard()
            throw error
        } catch {
            incoming.discard()
            throw APIError.storage("\(error)")
        }
        switch admission {
        case .created(let created): return (created, returnSignedContent, true)
        case .existing(let existing): return (existing, returnSignedContent, false)
        case .conflict(let existingID):
            throw APIError(
                status: .conflict, errorCode: "EXTERNAL_REFERENCE_CONFLICT",
                causeMessage:
                    "operation \(existingID) already uses this externalReference (or Idempotency-Key) with another payload"
            )
        }
    }

    enum BodyKind {
        case json
        case multipart(boundary: String)
    }

    static func bodyKind(_ contentType: String?) throws -> BodyKind {
        guard let contentType else { return .json }
        let lowered = contentType.lowercased()
        if lowered.hasPrefix("application/json") || lowered.hasPrefix("text/json") { return .json }
        if lowered.hasPrefix("multipart/form-data") {
            return .multipart(boundary: try MultipartIntake.boundary(contentType: contentType))
        }
        throw APIError(
            status: .unsupportedMediaType, errorCode: "UNSUPPORTED_MEDIA_TYPE",
            causeMessage: "send application/json or multipart/form-data")
    }

    /// Streams the body into `incoming`, one file per document, within the size, disk and time limits.
    private func receive(_ request: Request, kind: BodyKind, into incoming: IncomingFolder) async throws
        -> (StreamedRequest, [Int: ReceivedContent])
    {
        let spool = registry.spool
        let limits = self.limits
        if let length = request.headers[.contentLength].flatMap(Int.init) {
            guard length <= limits.maxRequestBytes else { throw APIError.tooLarge(limits.maxRequestBytes) }
            try Self.checkFreeSpace(spool, needed: length, ratio: limits.minFreeDiskRatio)
        }
        let sinks = SinkSet(folder: incoming, maxDocuments: limits.maxDocuments)
        let body = request.body
        let streamed: StreamedRequest = try await withThrowingTaskGroup(of: StreamedRequest?.self) { group in
            group.addTask {
                var intake: any RequestIntake =
                    switch kind {
                    case .json:
                        JSONIntake(
                            openSink: sinks.open, endDocument: { sinks.ended($0, signatureType: $1) },
                            maxDocuments: limits.maxDocuments, maxMetadataBytes: limits.maxMetadataBytes)
                    case .multipart(let boundary):
                        MultipartIntake(
                            boundary: boundary, openSink: sinks.open,
                            endDocument: { sinks.ended($0, signatureType: $1) }, maxDocuments: limits.maxDocuments,
                            maxMetadataBytes: limits.maxMetadataBytes)
                    }
                var received = 0
                var checked = 0
                for try await chunk in body {
                    received += chunk.readableBytes
                    guard received <= limits.maxRequestBytes else { throw APIError.tooLarge(limits.maxRequestBytes) }
                    if received - checked >= 8 << 20 {
                        checked = received
                        try Self.checkFreeSpace(spool, needed: received, ratio: limits.minFreeDiskRatio)
                    }
                    try intake.feed(chunk)
                }
                return try intake.finish()
            }
            group.addTask {
                try await Task.sleep(for: limits.requestTimeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let streamed = first else {
                throw APIError(
                    status: .requestTimeout, errorCode: "REQUEST_TIMEOUT",
                    causeMessage: "the request body did not arrive within \(limits.requestTimeout)")
            }
            return streamed
        }
        let types = streamed.request.documents.map { $0.signatureInfo?.signatureType }
        return (streamed, sinks.finish(signatureTypes: types))
    }

    static func checkFreeSpace(_ spool: Spool, needed: Int, ratio: Double) throws {
        guard let free = spool.freeBytes() else { return }
        let wanted = Int64(Double(needed) * ratio)
        guard free >= wanted else {
            var error = APIError(
                status: .init(code: 507, reasonPhrase: "Insufficient Storage"), errorCode: "INSUFFICIENT_STORAGE",
                causeMessage: "the spool has \(free) bytes free; this request needs \(wanted) (--min-free-disk-ratio)")
            error.headers[.retryAfter] = "60"
            throw error
        }
    }
}
