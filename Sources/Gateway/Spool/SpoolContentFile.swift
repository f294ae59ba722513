import Common
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The one file a request's documents are written to, one after another (`documents.in`): one
/// create, one sync and one unlink per operation instead of per document. A file per document
/// cost about a fifth of the gateway's CPU on PAdES intake (perf: ext4 inode allocation, issue 12).
///
/// Documents are written whole one at a time, in the order their content arrives (the JSON and
/// multipart readers go through a body in order): `begin` gives a document the file's size as
/// its offset, and refuses a second document while one is being written. Made on first use.
/// Used by the one task reading the body; background syncs keep it alive until they have run.
final class SpoolContentFile: @unchecked Sendable {
    static let name = "documents.in"
    /// Unsynced bytes that start a background sync at the end of a document.
    static let syncThreshold = 8 << 20

    let path: String
    private var fd: Int32 = -1
    private(set) var size = 0
    private var writer: Int?
    private var unsynced = 0

    init(folder: IncomingFolder) {
        path = "\(folder.path)/\(Self.name)"
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Document `document` starts here: its offset.
    func begin(_ document: Int) throws -> Int {
        if let writer {
            throw Spool.Problem(description: "document \(document) started while document \(writer) is being written")
        }
        if fd < 0 {
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Spool.Problem("cannot create", path) }
        }
        writer = document
        return size
    }

    func append(_ bytes: UnsafeRawBufferPointer, by document: Int) throws {
        guard writer == document else {
            throw Spool.Problem(description: "document \(document) wrote while not the one being written")
        }
        try Spool.writeAll(fd, bytes, path: path)
        size += bytes.count
        unsynced += bytes.count
    }

    /// Document `document` is whole.
    func finished(_ document: Int) {
        if writer == document { writer = nil }
    }

    /// Document `document`, written from `offset` to `end`, is not kept (it is signed from its
    /// digest): when nothing follows it, the file is cut back to `offset`, so its bytes are
    /// never synced. Bytes that something follows stay, named by no row.
    func discard(_ document: Int, from offset: Int, to end: Int) {
        finished(document)
        guard fd >= 0, end == size, offset <= size, ftruncate(fd, off_t(offset)) == 0,
            lseek(fd, off_t(offset), SEEK_SET) == off_t(offset)
        else { return }
        unsynced = max(0, unsynced - (size - offset))
        size = offset
    }

    /// Syncs what was written in the background once `syncThreshold` bytes are unsynced, so the
    /// sync before the `202` finds little left to write.
    func syncIfDue(_ syncs: BackgroundSyncs) {
        guard fd >= 0, unsynced >= Self.syncThreshold else { return }
        unsynced = 0
        let fd = self.fd
        syncs.add(path: path) { withExtendedLifetime(self) { fdatasync(fd) == 0 } }
    }
}
