import Foundation

/// The spool files of one request being received, one per document. Used by one task at a time
/// (the one reading the body), then read by the handler that awaited it.
final class SinkSet: @unchecked Sendable {
    let folder: IncomingFolder
    let maxDocuments: Int
    private var sinks: [Int: SpoolFileSink] = [:]
    private var last: Int?

    init(folder: IncomingFolder, maxDocuments: Int) {
        self.folder = folder
        self.maxDocuments = maxDocuments
    }

    func open(_ document: Int) throws -> any DocumentSink {
        guard document < maxDocuments else {
            throw APIError.badRequest("TOO_MANY_DOCUMENTS", "an operation holds at most \(maxDocuments) documents")
        }
        guard sinks[document] == nil else {
            throw APIError.badRequest("INVALID_JSON", "documents[\(document)] has content twice")
        }
        // Documents come in order: the one before is whole, its file can be synced now.
        if let previous = last { _ = sinks[previous]?.finish() }
        last = document
        let sink = try SpoolFileSink(folder: folder, document: document)
        sinks[document] = sink
        return sink
    }

    /// Closes every file; what each received.
    func finish() -> [Int: ReceivedContent] {
        sinks.mapValues { ReceivedContent(digest: $0.finish(), length: $0.length) }
    }
}
