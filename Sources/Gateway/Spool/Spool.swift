import Common
import Crypto
import Dispatch
import Foundation
import Signing

#if canImport(Glibc)
    import Glibc
#endif

/// The documents and results of operations, as files under `STATE/spool` (DESIGN.md §6):
///
///     spool/incoming/<token>/         a request being received (deleted at start: never accepted)
///     spool/<operation id>/documents.in  its documents as the clients sent them, one after
///                                     another; each row holds its document's offset and length
///     spool/<operation id>/<n>.in     document n, from builds before one file per operation
///                                     (rows without an offset; read, never written any more)
///     spool/<operation id>/<n>.out    its signed result, from builds before results were kept
///                                     in their rows (read, never written any more)
///
/// A file is written and synced, and its folder synced, before the database row that names it
/// commits. A signed result is stored in its row as what it adds to its input (`StoredResult`). Methods block on the file system: call them through `BlockingIO` when they sync.
struct Spool: Sendable {
    let root: String
    var incomingRoot: String { root + "/incoming" }

    struct Problem: Error, CustomStringConvertible, Sendable {
        let description: String
        init(_ what: String, _ path: String, errno code: Int32 = errno) {
            description = "\(what) \(path): \(String(cString: strerror(code)))"
        }

        init(description: String) {
            self.description = description
        }
    }

    init(root: String) throws {
        self.root = root
        for folder in [root, root + "/incoming"] where mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw Problem("cannot create", folder)
        }
    }

    func folder(_ operationID: String) -> String { "\(root)/\(operationID)" }
    func input(_ operationID: String, _ document: Int) -> String { "\(root)/\(operationID)/\(document).in" }

    /// Where document `index`'s bytes are: its range of the operation's `documents.in`, or the
    /// whole `<n>.in` of an operation stored before (its row has no offset).
    func content(_ operationID: String, _ index: Int, _ record: DocumentRecord) -> SpoolRange {
        if let offset = record.contentOffset, let length = record.contentLength {
            return SpoolRange(path: "\(folder(operationID))/\(SpoolContentFile.name)", offset: offset, length: length)
        }
        return SpoolRange(path: input(operationID, index), offset: 0, length: nil)
    }

    func output(_ operationID: String, _ document: Int) -> String { "\(root)/\(operationID)/\(document).out" }

    /// A new folder for a request being received.
    func makeIncoming() throws -> IncomingFolder {
        let path = "\(incomingRoot)/\(UUID().uuidString.lowercased())"
        guard mkdir(path, 0o700) == 0 else { throw Problem("cannot create", path) }
        return IncomingFolder(path: path)
    }

    /// Moves a received request's folder to its operation's place. Not durable yet: signers may
    /// read its documents, but nothing about it is committed before `syncAccepted` (a crash in
    /// between leaves a folder no row names, removed at start).
    func moveIn(_ incoming: IncomingFolder, as operationID: String) throws {
        let target = folder(operationID)
        guard rename(incoming.path, target) == 0 else { throw Problem("cannot move to", target) }
    }

    /// Makes a moved-in folder durable: its files' data, the folder, and its name in the spool.
    func syncAccepted(_ incoming: IncomingFolder, as operationID: String) throws {
        // Most files were synced while the rest of the body arrived; the check below is then cheap.
        try incoming.syncs.wait()
        let target = folder(operationID)
        try Self.sync(try FileManager.default.contentsOfDirectory(atPath: target).map { "\(target)/\($0)" })
        try Self.syncFolder(target)
        try Self.syncFolder(root)
        try Self.syncFolder(incomingRoot)
    }

    /// Syncs files' data to disk, many at once: concurrent syncs share the file system's journal
    /// commits (ext4 groups them), where one after another each would wait for its own. A file
    /// that is gone (its operation was deleted meanwhile) is skipped.
    static func sync(_ paths: [String], threads: Int = 16) throws {
        guard paths.count > 1 else {
            if let path = paths.first, let failure = syncOne(path) { throw Problem(description: failure) }
            return
        }
        let failures = Locked<[String]>([])
        let next = Locked(0)
        let group = DispatchGroup()
        for _ in 0..<min(threads, paths.count) {
            group.enter()
            Thread {
                while true {
                    let index = next.withLock { index in
                        defer { index += 1 }
                        return index
                    }
                    guard index < paths.count else { break }
                    if let failure = syncOne(paths[index]) { failures.withLock { $0.append(failure) } }
                }
                group.leave()
            }.start()
        }
        group.wait()
        if let first = failures.withLock({ $0.first }) { throw Problem(description: first) }
    }

    private static func syncOne(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return errno == ENOENT ? nil : "cannot open \(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        return fdatasync(fd) == 0 ? nil : "cannot sync \(path): \(String(cString: strerror(errno)))"
    }

    /// The whole file.
    func read(_ path: String) throws -> [UInt8] { try Self.read(path, at: 0, count: nil) }

    /// A document's bytes.
    static func read(_ range: SpoolRange) throws -> [UInt8] {
        try read(range.path, at: range.offset, count: range.length)
    }

    /// `count` bytes of the file from `offset` (nil: to its end); a file shorter than that is an error.
    static func read(_ path: String, at offset: Int, count: Int?) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Problem("cannot open", path) }
        defer { close(fd) }
        var size = count ?? 0
        if count == nil {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw Problem("cannot stat", path) }
            size = max(0, Int(info.st_size) - offset)
        }
        // Not zeroed first: every byte is read into it, or it is thrown away.
        return try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let n = pread(fd, buffer.baseAddress.map { $0 + done }, size - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw Problem("cannot read", path) }
                done += n
            }
            initialized = size
        }
    }

    /// Removes an operation's files (deleted or expired).
    func remove(_ operationID: String) {
        try? FileManager.default.removeItem(atPath: folder(operationID))
    }

    /// At start: what was being received when the process ended was never accepted.
    func removeIncoming() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: incomingRoot)) ?? [] {
            try? FileManager.default.removeItem(atPath: "\(incomingRoot)/\(name)")
        }
    }

    /// At start: folders no row names (the process ended between the move and the commit).
    func removeOrphans(keeping known: Set<String>) -> Int {
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        where name != "incoming" && !known.contains(name) {
            try? FileManager.default.removeItem(atPath: "\(root)/\(name)")
            removed += 1
        }
        return removed
    }

    /// Free bytes for unprivileged users on the spool's file system.
    func freeBytes() -> Int64? {
        var info = statvfs()
        guard statvfs(root, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    static func syncFolder(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Problem("cannot open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Problem("cannot sync", path) }
    }

    /// The document's length when `bytes` starts with the whole document (its range), nil when it
    /// does not (compared piece by piece, never the whole document at once). Throws when the
    /// range cannot be read.
    static func prefixLength(of range: SpoolRange, in bytes: [UInt8]) throws -> Int? {
        var offset = 0
        let whole = try readPieces(range) { piece in
            let same = bytes.withUnsafeBytes { whole in
                guard offset + piece.count <= whole.count, let start = whole.baseAddress, let part = piece.baseAddress
                else { return false }
                return memcmp(start + offset, part, piece.count) == 0
            }
            guard same else { return false }
            offset += piece.count
            return true
        }
        return whole ? offset : nil
    }

    /// The SHA-256 state after the whole document, not finalized (a signed PDF's hash goes on
    /// over what was appended to it), and the document's length.
    static func hash(_ range: SpoolRange) throws -> IntakeHashes.Original {
        var hasher = SHA256()
        var length = 0
        _ = try readPieces(range) { piece in
            hasher.update(bufferPointer: piece)
            length += piece.count
            return true
        }
        return IntakeHashes.Original(hash: hasher, length: length)
    }

    /// Reads the range in 256 KiB pieces, each handed to `body` (which returns false to stop);
    /// returns whether the whole range was read. A range the file does not hold whole is an error.
    private static func readPieces(_ range: SpoolRange, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws
        -> Bool
    {
        let path = range.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Problem("cannot open", path) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        var position = range.offset
        let end = range.length.map { range.offset + $0 }
        while true {
            let wanted = end.map { min(buffer.count, $0 - position) } ?? buffer.count
            if wanted == 0 { return true }
            let n = pread(fd, buffer.baseAddress, wanted, off_t(position))
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Problem("cannot read", path) }
            if n == 0 {
                if end == nil { return true }
                throw Problem(description: "\(path) ends before \(range.offset)+\(range.length ?? 0)")
            }
            position += n
            guard try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) else { return false }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var written = 0
        while written < bytes.count {
            let n = write(fd, bytes.baseAddress.map { $0 + written }, bytes.count - written)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Problem("cannot write", path) }
            written += n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }
}

/// A request's folder while its body is being received. Remove it unless it was accepted.
struct IncomingFolder: Sendable {
    let path: String
    /// Documents received whole are synced in the background while the body goes on.
    let syncs = BackgroundSyncs()

    func discard() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// File syncs running in the background (on Dispatch's threads, never the cooperative pool).
///
/// Its own queues, never `BlockingIO`'s: `Spool.accept` waits for these syncs on a `BlockingIO`
/// queue, and a sync queued behind that wait on the same serial queue would never run.
final class BackgroundSyncs: Sendable {
    private static let queues = (0..<8).map { DispatchQueue(label: "signet.spool-sync.\($0)", qos: .userInitiated) }
    private static let next = Locked(0)
    private let group = DispatchGroup()
    private let failures = Locked<[String]>([])

    func add(path: String, _ sync: @escaping @Sendable () -> Bool) {
        let queue = Self.next.withLock { index in
            defer { index = (index + 1) % Self.queues.count }
            return Self.queues[index]
        }
        queue.async(group: group) { [failures] in
            if !sync() {
                let message = "cannot sync \(path): \(String(cString: strerror(errno)))"
                failures.withLock { $0.append(message) }
            }
        }
    }

    /// A file that could not be made: `wait` throws.
    func fail(_ message: String) {
        failures.withLock { $0.append(message) }
    }

    /// Blocks until every sync added so far is done; throws if one failed.
    func wait() throws {
        group.wait()
        if let failure = failures.withLock({ $0.first }) { throw Spool.Problem(description: failure) }
    }
}

/// Where one document's bytes are in the spool: `length` bytes of `path` from `offset`, or the
/// whole file from `offset` when `length` is nil (the file-per-document layout).
struct SpoolRange: Sendable, Equatable {
    var path: String
    var offset: Int
    var length: Int?
}
