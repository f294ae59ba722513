import Foundation
import Hummingbird
import ZIPFoundation

#if canImport(Glibc)
    import Glibc
#endif

/// A finished operation's signed documents as a zip (Sign'Stash's `.../documents`, and
/// `/v1/operations/{id}/result` with `Accept: application/zip`), through ZIPFoundation.
///
/// The archive is written to a file in the spool's `incoming` folder (removed at start if the
/// process ends meanwhile), reading each document from its stored result and input file in
/// pieces, then sent as a file and removed: no document is held whole in memory.
enum ResultArchive {
    /// `<document externalReference>.<signed file name>` (the file name ends in `.p7s` for a
    /// CAdES signature), else the file name alone; a name used twice gets ` (2)`, ` (3)`, ….
    static func entryNames(_ operation: Operation) -> [Int: String] {
        var names: [Int: String] = [:]
        var used: Set<String> = []
        for (index, record) in operation.documents.enumerated() where record.status == .signed {
            let file = OperationsController.signedFile(record).fileName
            var name = (record.externalReference.map { "\($0)." } ?? "") + file
            name = String(name.map { $0 == "/" || $0 == "\\" || $0 == "\0" ? "_" : $0 })
            if name.hasPrefix(".") { name = "_" + name }
            var unique = name
            var count = 2
            while !used.insert(unique).inserted {
                unique = "\(name) (\(count))"
                count += 1
            }
            names[index] = unique
        }
        return names
    }

    static func response(_ operation: Operation, registry: OperationRegistry) async throws -> Response {
        var entries: [(name: String, bytes: SpoolStreaming.SignedBytes)] = []
        for (index, name) in entryNames(operation).sorted(by: { $0.key < $1.key }) {
            if let signed = try await SpoolStreaming.SignedBytes.locate(operation.id, index, in: registry) {
                entries.append((name, signed))
            }
        }
        let path = "\(registry.spool.incomingRoot)/\(UUID().uuidString.lowercased()).zip"
        let size = try await BlockingIO.run { [entries] in
            try write(entries, to: path)
            return SpoolStreaming.fileSize(path) ?? 0
        }
        let fileName = "operation-\(operation.id).zip"
        var headers: HTTPFields = [.contentType: "application/zip"]
        headers[.contentDisposition] = "attachment; filename=\"\(fileName)\""
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: size) { writer in
                defer { unlink(path) }
                var encoder = SpoolStreaming.ChunkEncoder(base64: false)
                try await SpoolStreaming.copy(path, to: &writer, encoder: &encoder)
                try await writer.finish(nil)
            })
    }

    /// Writes the archive (stored entries: signed PDFs and signatures barely compress).
    static func write(_ entries: [(name: String, bytes: SpoolStreaming.SignedBytes)], to path: String) throws {
        do {
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
            for entry in entries {
                try archive.addEntry(
                    with: entry.name, type: .file, uncompressedSize: Int64(entry.bytes.size),
                    compressionMethod: .none
                ) { position, size in
                    try entry.bytes.read(at: Int(position), count: size)
                }
            }
        } catch {
            unlink(path)
            throw error
        }
    }
}

extension SpoolStreaming.SignedBytes {
    /// `count` bytes from `offset` (random access, for the zip writer).
    func read(at offset: Int, count: Int) throws -> Data {
        switch self {
        case .stored(let result, let input, let inputSize):
            var data = Data()
            var position = offset
            let end = offset + count
            if result.keepsInput, position < inputSize {
                let upTo = min(end, inputSize)
                data.append(try Self.pread(input, at: position, count: upTo - position))
                position = upTo
            }
            let base = result.keepsInput ? inputSize : 0
            if position < end {
                data.append(contentsOf: result.tail[(position - base)..<(end - base)])
            }
            return data
        case .file(let path, _):
            return try Self.pread(path, at: offset, count: count)
        }
    }

    private static func pread(_ path: String, at offset: Int, count: Int) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Spool.Problem("cannot open", path) }
        defer { close(fd) }
        var data = Data(count: count)
        var done = 0
        while done < count {
            let n = data.withUnsafeMutableBytes {
                Glibc.pread(fd, $0.baseAddress.map { $0 + done }, count - done, off_t(offset + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Spool.Problem("cannot read", path) }
            done += n
        }
        return data
    }
}
