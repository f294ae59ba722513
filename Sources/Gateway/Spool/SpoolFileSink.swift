import Common
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one incoming document to its operation's `documents.in` while hashing it: the bytes
/// are handled once.
///
/// The first `memoryLimit` bytes are held in memory until the document is known to need the
/// file (`finish`) or outgrows them: a document signed from its digest alone (detached CAdES)
/// whose entry names its type before the next document starts never touches the disk. A spilled
/// one that turns out to be signed from its digest is cut from the end of the file.
final class SpoolFileSink: DocumentSink {
    /// Per document being received; one per request at a time on the JSON path.
    static let memoryLimit = 256 * 1024

    let document: Int
    /// Where the document's bytes start in the file, once it has written any (nil: none, or
    /// discarded).
    private(set) var offset: Int?
    private var held: [UInt8] = []
    private var closed = false
    private var hasher = SHA256()
    private(set) var length = 0
    private let file: SpoolContentFile
    private let folder: IncomingFolder

    init(file: SpoolContentFile, folder: IncomingFolder, document: Int) {
        self.file = file
        self.folder = folder
        self.document = document
    }

    /// The SHA-256 state over what was written so far, not finalized.
    var hashState: SHA256 { hasher }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        hasher.update(bufferPointer: bytes)
        length += bytes.count
        if offset == nil, held.count + bytes.count <= Self.memoryLimit {
            held.append(contentsOf: bytes)
            return
        }
        try spill()
        try file.append(bytes, by: document)
    }

    /// Starts the document's range in the file with what is held.
    private func spill() throws {
        guard offset == nil else { return }
        offset = try file.begin(document)
        try held.withUnsafeBytes { try file.append($0, by: document) }
        held = []
    }

    private var digest: String?

    /// The SHA-256 of what was written, in hex (the document is whole).
    private func finalDigest() -> String {
        if let digest { return digest }
        let digest = hasher.finalize().hexString
        self.digest = digest
        return digest
    }

    /// The document is whole: what was held is written, and the file is synced in the
    /// background when enough is unsynced (`Spool.syncAccepted` syncs the rest, and fails if the
    /// bytes could not be written); returns the SHA-256 of what was written, in hex.
    func finish() -> String {
        let digest = finalDigest()
        guard !closed else { return digest }
        closed = true
        do {
            try spill()
        } catch {
            folder.syncs.fail("\(error)")
            return digest
        }
        file.finished(document)
        file.syncIfDue(folder.syncs)
        return digest
    }

    /// The document is whole and signed from its digest: nothing more of it is written, and
    /// what it spilled is cut from the file when it is the file's end (it is, unless the next
    /// document started before its type was known), else stays there unnamed.
    func discardFile() {
        _ = finalDigest()
        held = []
        closed = true
        if let offset { file.discard(document, from: offset, to: offset + length) }
        offset = nil
    }
}
