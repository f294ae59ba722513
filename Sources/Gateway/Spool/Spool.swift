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
///     spool/incoming/<token>/<n>.in   a request being received (deleted at start: never accepted)
///     spool/<operation id>/<n>.in     document n as the client sent it
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
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress.map { $0 + done }, size - done, off_t(offset + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Problem("cannot read", path) }
            done += n
        }
        return bytes
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

    /// The file's length when `bytes` starts with the whole file, nil when it does not (compared
    /// piece by piece, never the whole file at once). Throws when the file cannot be read.
    static func prefixLength(of path: String, in bytes: [UInt8]) throws -> Int? {
        var offset = 0
        let whole = try readPieces(path) { piece in
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

    /// The SHA-256 state after the whole file, not finalized (a signed PDF's hash goes on over
    /// what was appended to it), and the file's length.
    static func hash(_ path: String) throws -> (hash: SHA256, length: Int) {
        var hasher = SHA256()
        var length = 0
        _ = try readPieces(path) { piece in
            hasher.update(bufferPointer: piece)
            length += piece.count
            return true
        }
        return (hasher, length)
    }

    /// Reads the file in 256 KiB pieces, each handed to `body` (which returns false to stop);
    /// returns whether the whole file was read.
    private static func readPieces(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Problem("cannot open", path) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Problem("cannot read", path) }
            if n == 0 { return true }
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

/// Writes one incoming document to `<n>.in` while hashing it: the bytes are handled once.
///
/// The first `memoryLimit` bytes are held in memory until the document is known to need its
/// file (`finish`) or outgrows them: a document signed from its digest alone (detached CAdES)
/// whose entry names its type before the next document starts never touches the disk. Creating,
/// writing and removing a file per such document was about a third of the gateway's CPU on CAdES
/// intake (perf: ext4 inode allocation and page-cache copies).
final class SpoolFileSink: DocumentSink {
    /// Per document being received; one per request at a time on the JSON path.
    static let memoryLimit = 256 * 1024

    let path: String
    private var fd: Int32 = -1
    private var held: [UInt8] = []
    private var closed = false
    private var hasher = SHA256()
    private(set) var length = 0
    /// The SHA-256 state over what was written so far, not finalized.
    var hashState: SHA256 { hasher }

    private let folder: IncomingFolder

    init(folder: IncomingFolder, document: Int) {
        self.folder = folder
        path = "\(folder.path)/\(document).in"
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        hasher.update(bufferPointer: bytes)
        length += bytes.count
        if fd < 0, held.count + bytes.count <= Self.memoryLimit {
            held.append(contentsOf: bytes)
            return
        }
        try spill()
        try Spool.writeAll(fd, bytes, path: path)
    }

    /// Creates the file with what is held.
    private func spill() throws {
        guard fd < 0 else { return }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Spool.Problem("cannot create", path) }
        try Spool.writeAll(fd, held, path: path)
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

    /// The document is whole: its file is written if it was held, then synced and closed in the
    /// background (`Spool.accept` waits for it, and fails if the file could not be made); returns
    /// the SHA-256 of what was written, in hex.
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
        let fd = self.fd
        self.fd = -1
        folder.syncs.add(path: path) {
            defer { close(fd) }
            return fdatasync(fd) == 0
        }
        return digest
    }

    /// The document is whole and signed from its digest: its file (if it was made) goes, never
    /// synced.
    func discardFile() {
        _ = finalDigest()
        held = []
        closed = true
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(path)
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
