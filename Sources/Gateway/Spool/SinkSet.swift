import Common
import Foundation

/// The documents of one request being received, written one after another to its
/// `documents.in` (`SpoolContentFile`). Used by one task at a time
/// (the one reading the body), then read by the handler that awaited it.
///
/// A document signed from its digest alone (detached CAdES) keeps no bytes: it is hashed as it
/// arrives, held in memory while it is small (`SpoolFileSink.memoryLimit`), and what it spilled
/// is cut from the file's end as soon as its entry says how it is signed, or at the end. Every
/// other document is written whole; the file is synced in the background as it grows.
final class SinkSet: @unchecked Sendable {
    let folder: IncomingFolder
    let maxDocuments: Int
    private let file: SpoolContentFile
    private var sinks: [Int: SpoolFileSink] = [:]
    private var last: Int?
    /// Documents whose bytes are kept or discarded.
    private var settled: Set<Int> = []

    init(folder: IncomingFolder, maxDocuments: Int) {
        self.folder = folder
        self.maxDocuments = maxDocuments
        file = SpoolContentFile(folder: folder)
    }

    func open(_ document: Int) throws -> any DocumentSink {
        guard document < maxDocuments else {
            throw APIError.badRequest("TOO_MANY_DOCUMENTS", "an operation holds at most \(maxDocuments) documents")
        }
        guard sinks[document] == nil else {
            throw APIError.badRequest("INVALID_JSON", "documents[\(document)] has content twice")
        }
        // Documents come in order: the one before is whole. Unless its entry said how it is
        // signed, its bytes are kept.
        if let previous = last { settle(previous, keepFile: true) }
        last = document
        let sink = SpoolFileSink(file: file, folder: folder, document: document)
        sinks[document] = sink
        return sink
    }

    /// Document `document`'s entry is whole, with its signature type (nil: none given, the
    /// request will be refused; its bytes are kept until then).
    func ended(_ document: Int, signatureType: String?) {
        settle(document, keepFile: !(signatureType.map(SignatureParameters.signsDigestOnly) ?? false))
    }

    private func settle(_ document: Int, keepFile: Bool) {
        guard let sink = sinks[document], settled.insert(document).inserted else { return }
        if keepFile { _ = sink.finish() } else { sink.discardFile() }
    }

    /// Ends every document, discarding those signed from their digest (`signatureTypes` has each
    /// document's type); what each received.
    func finish(signatureTypes: [String?]) -> [Int: ReceivedContent] {
        for (document, type) in signatureTypes.enumerated()
        where type.map(SignatureParameters.signsDigestOnly) ?? false {
            sinks[document]?.discardFile()
            settled.insert(document)
        }
        return sinks.mapValues {
            ReceivedContent(
                digest: $0.finish(), length: $0.length, offset: $0.offset,
                original: .init(hash: $0.hashState, length: $0.length))
        }
    }
}
