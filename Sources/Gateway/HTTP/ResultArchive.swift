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
            if let signed = try await SpoolStreaming.SignedBytes.locate(operation, index, in: registry) {
                entries.append((name, signed))
            }
        }
        let path = "\(registry.spool.incomingRoot)/\(UUID().uuidString.lowercased()).zip"
        let size = try await BlockingIO.run { [entries] in
            try write(entries, to: path)
            guard let size = SpoolStreaming.fileSize(path) else { throw Spool.Problem("cannot stat", path) }
            return size
        }
        let fileName = "operation-\(operation.id).zip"
        var headers: HTTPFields = [.contentType: "application/zip"]
        headers[.contentDisposition] = "attachment; filename=\"\(fileName)\""
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: size) { writer in
                defer { unlink(path) }
                var encoder = SpoolStreaming.ChunkEncoder(base64: false)
                try await SpoolStreaming.copy(
                    SpoolRange(path: path, offset: 0, length: size), to: &writer, encoder: &encoder)
                try await writer.finish(nil)
            })
    }

    /// Each entry is read in pieces this large (ZIPFoundation's default, 16 KiB, would open the
    /// input file 64 times per MiB).
    static let readSize = 1 << 20

    /// Writes the archive (stored entries: signed PDFs and signatures barely compress).
    static func write(_ entries: [(name: String, bytes: SpoolStreaming.SignedBytes)], to path: String) throws {
        do {
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
            for entry in entries {
                try archive.addEntry(
                    with: entry.name, type: .file, uncompressedSize: Int64(entry.bytes.size),
                    compressionMethod: .none, bufferSize: Self.readSize
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
        case .stored(let result, let input):
            var data = Data()
            var position = offset
            let end = offset + count
            let inputSize = input.length ?? 0
            if result.keepsInput, position < inputSize {
                let upTo = min(end, inputSize)
                data.append(contentsOf: try Spool.read(input.path, at: input.offset + position, count: upTo - position))
                position = upTo
            }
            let base = result.keepsInput ? inputSize : 0
            if position < end {
                data.append(contentsOf: result.tail[(position - base)..<(end - base)])
            }
            return data
        case .file(let path, _):
            return Data(try Spool.read(path, at: offset, count: count))
        }
    }
}
