import Foundation
import NIOCore

/// Reads a `multipart/form-data` request body chunk by chunk (Sign'Stash's `document/sign/`,
/// docs/intake.md), over `MultipartReader`.
///
/// Parts are told apart by their `Content-Disposition` name: each `files` part streams into the
/// next document's sink, in order; the `signRequest` part (the request's JSON without
/// `base64Content`, as a field or as a file) is collected and decoded at `finish()`; other parts
/// are read and dropped. Everything but the files' content counts against `maxMetadataBytes`.
/// When the `signRequest` part comes before (some of) the files, each file's signature type is
/// known as it ends (`endDocument`): a detached-CAdES document then keeps no file, as with JSON.
struct MultipartIntake: RequestIntake {
    private var reader: MultipartReader
    private let parts: Parts
    private var received = 0
    private var failure: (any Error)?

    /// - Parameter boundary: from `boundary(contentType:)` (never empty).
    init(
        boundary: String, openSink: @escaping (Int) throws -> any DocumentSink,
        endDocument: @escaping (Int, String?) -> Void = { _, _ in }, maxDocuments: Int, maxMetadataBytes: Int
    ) {
        reader = MultipartReader(boundary: boundary)
        parts = Parts(
            openSink: openSink, endDocument: endDocument, maxDocuments: maxDocuments,
            maxMetadataBytes: maxMetadataBytes)
        reader.onHeader = { [parts] name, value in parts.header(name, value) }
        reader.onBody = { [parts] body in parts.body(body) }
        reader.onPartComplete = { [parts] in parts.complete() }
    }

    mutating func feed(_ chunk: ByteBuffer) throws {
        if let failure { throw failure }
        do {
            try feedParser(chunk)
        } catch {
            failure = error
            parts.abandon()
            throw error
        }
    }

    private mutating func feedParser(_ chunk: ByteBuffer) throws {
        do {
            try chunk.withUnsafeReadableBytes { try reader.feed($0) }
        } catch {
            throw parts.failure
                ?? APIError.invalidMultipart(
                    "the multipart body is malformed (between bytes \(received) and \(received + chunk.readableBytes))")
        }
        if let failure = parts.failure { throw failure }
        received += chunk.readableBytes
        guard received - parts.documentBytes <= parts.maxMetadataBytes else {
            throw APIError.metadataTooLarge(max: parts.maxMetadataBytes)
        }
    }

    mutating func finish() throws -> StreamedRequest {
        if let failure { throw failure }
        guard reader.closed else {
            throw APIError.invalidMultipart("the multipart body ends before its closing boundary")
        }
        guard let json = parts.signRequest else {
            throw APIError.badRequest("MISSING_SIGN_REQUEST", "the multipart body has no signRequest part")
        }
        var request: OperationRequest
        do {
            request = try JSONDecoder().decode(OperationRequest.self, from: Data(json))
        } catch {
            throw APIError.invalidJSON("signRequest: \(OperationsController.explain(error))")
        }
        if let index = request.documents.firstIndex(where: { $0.documentRequest.base64Content != nil }) {
            throw APIError.invalidMultipart(
                "signRequest documents[\(index)].documentRequest.base64Content must be absent: send the document as a files part"
            )
        }
        guard request.documents.count == parts.fileNames.count else {
            throw APIError.badRequest(
                "DOCUMENT_COUNT_MISMATCH",
                "the signRequest has \(request.documents.count) documents but the body has \(parts.fileNames.count) files parts"
            )
        }
        for (index, fileName) in parts.fileNames.enumerated() where request.documents[index].documentRequest.name == nil
        {
            request.documents[index].documentRequest.name = fileName
        }
        return StreamedRequest(request: request, hasContent: Array(repeating: true, count: parts.fileNames.count))
    }
}

extension MultipartIntake {
    /// What the parts are, as the parser reports them (its callbacks cannot throw: the first error
    /// is kept and thrown by `feed`).
    private final class Parts {
        enum Current {
            case headers(name: String?, fileName: String?)
            case document(any DocumentSink)
            case signRequest
            case ignored
        }

        let openSink: (Int) throws -> any DocumentSink
        let endDocument: (Int, String?) -> Void
        let maxDocuments: Int
        let maxMetadataBytes: Int
        var current = Current.headers(name: nil, fileName: nil)
        /// One per `files` part so far: its file name, if it had one.
        var fileNames: [String?] = []
        var signRequest: [UInt8]?
        /// Each document's signature type, once a `signRequest` that decodes has ended.
        private var signatureTypes: [String?]?
        /// `files` parts received whole.
        private var completedFiles = 0
        var documentBytes = 0
        var failure: (any Error)?
        /// A document's bytes on their way to its sink: the parser hands them over between CRs
        /// (every ~256 bytes of binary content), the sink gets them in batches of `batchSize`.
        private var batch: [UInt8] = []
        static let batchSize = 64 * 1024

        init(
            openSink: @escaping (Int) throws -> any DocumentSink, endDocument: @escaping (Int, String?) -> Void,
            maxDocuments: Int, maxMetadataBytes: Int
        ) {
            self.openSink = openSink
            self.endDocument = endDocument
            self.maxDocuments = maxDocuments
            self.maxMetadataBytes = maxMetadataBytes
            batch.reserveCapacity(Self.batchSize)
        }

        func header(_ name: String, _ value: String) {
            guard failure == nil, case .headers = current, name.lowercased() == "content-disposition" else { return }
            let disposition = HeaderValue(value)
            current = .headers(
                name: disposition.parameter("name"),
                fileName: disposition.parameter("filename*").flatMap(HeaderValue.decodeExtended)
                    ?? disposition.parameter("filename"))
        }

        func body(_ body: UnsafeRawBufferPointer) {
            guard failure == nil else { return }
            do {
                if case .headers = current { try begin() }
                switch current {
                case .document(let sink):
                    documentBytes += body.count
                    if batch.count + body.count > Self.batchSize { try flush(to: sink) }
                    if body.count >= Self.batchSize {
                        try sink.write(body)
                    } else {
                        batch.append(contentsOf: body)
                    }
                case .signRequest:
                    signRequest?.append(contentsOf: body)
                case .headers, .ignored: break
                }
            } catch {
                failure = error
            }
        }

        func complete() {
            guard failure == nil else { return }
            do {
                switch current {
                case .headers: try begin()
                case .document(let sink):
                    try flush(to: sink)
                    completedFiles += 1
                    if let signatureTypes { ended(completedFiles - 1, signatureTypes) }
                case .signRequest:
                    // Only the types: the request is decoded and checked whole at `finish()`.
                    signatureTypes = (try? JSONDecoder().decode(Types.self, from: Data(signRequest ?? [])))?
                        .documents.map { $0.signatureInfo?.signatureType }
                    if let signatureTypes { (0..<completedFiles).forEach { ended($0, signatureTypes) } }
                case .ignored: break
                }
            } catch {
                failure = error
            }
            current = .headers(name: nil, fileName: nil)
        }

        private struct Types: Decodable { var documents: [JSONIntake.EntrySignatureType] }

        private func ended(_ document: Int, _ types: [String?]) {
            if document < types.count { endDocument(document, types[document]) }
        }

        func abandon() {
            current = .ignored
            batch = []
        }

        private func flush(to sink: any DocumentSink) throws {
            guard !batch.isEmpty else { return }
            try batch.withUnsafeBytes { try sink.write($0) }
            batch.removeAll(keepingCapacity: true)
        }

        /// The part's headers are complete: its name says what it is.
        private func begin() throws {
            guard case .headers(let name, let fileName) = current else { return }
            switch name {
            case "files":
                let index = fileNames.count
                guard index < maxDocuments else { throw APIError.tooManyDocuments(max: maxDocuments) }
                current = .document(try openSink(index))
                fileNames.append(fileName)
            case "signRequest":
                guard signRequest == nil else {
                    throw APIError.invalidMultipart("the multipart body has more than one signRequest part")
                }
                signRequest = []
                current = .signRequest
            default:
                current = .ignored
            }
        }
    }
}
