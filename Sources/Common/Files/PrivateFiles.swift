import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Files that hold secrets (signing keys, CURVE keys) and the folders around them: created for
/// their owner only, never over an existing file, and refused when others can read them, as ssh
/// refuses a private key with loose permissions.
public enum PrivateFiles {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Creates `path` (and missing parents) with mode 0700; an existing folder is left as it is.
    public static func createDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Problem(description: "\(path) exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Problem(description: "cannot create \(path): \(error.localizedDescription)")
        }
    }

    /// Writes `bytes` to a new file at `path` with mode 0600 (`O_EXCL`: never over an existing
    /// file, never through a planted symlink) and syncs it to disk.
    public static func writeNew(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Problem(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Problem(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            written += n
        }
        guard fsync(fd) == 0 else { throw Problem(description: "cannot sync \(path)") }
    }

    /// Throws when the file at `path` can be read or written by its group or by others.
    public static func checkOwnerOnly(_ path: String, what: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Problem(description: "\(what) \(path): \(String(cString: strerror(errno)))")
        }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw Problem(
                description:
                    "\(what) \(path) is accessible by group or others (mode \(String(mode, radix: 8))); run: chmod 600 \(path)"
            )
        }
    }
}
