import Foundation

/// One JSON line per request, with sizes only: time, path, status, request and response byte
/// counts, the number of hashes and each hash's length. Never a value: no hash, token, secret,
/// SAD or signature reaches the file.
actor SimulatorLog {
    struct Entry: Encodable {
        let time: String
        let path: String
        let status: Int
        let requestBytes: Int
        let responseBytes: Int
        let hashes: Int?
        let hashLengths: [Int]?
    }

    private let handle: FileHandle
    private let encoder: JSONEncoder
    private let formatter: ISO8601DateFormatter

    init(file: String) throws {
        if !FileManager.default.fileExists(atPath: file) {
            guard FileManager.default.createFile(atPath: file, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file])
            }
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.seekToEnd()
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    }

    func write(path: String, status: Int, requestBytes: Int, responseBytes: Int, hashLengths: [Int]?) {
        let entry = Entry(
            time: formatter.string(from: Date()), path: path, status: status, requestBytes: requestBytes,
            responseBytes: responseBytes, hashes: hashLengths?.count, hashLengths: hashLengths)
        guard var line = try? encoder.encode(entry) else { return }
        line.append(UInt8(ascii: "\n"))
        try? handle.write(contentsOf: line)
    }

    deinit {
        try? handle.close()
    }
}
