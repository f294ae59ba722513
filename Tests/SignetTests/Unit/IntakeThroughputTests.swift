import Foundation
import NIOCore
import Testing

@testable import Gateway

/// Throughput of the intakes, run by hand in release (docs/intake.md):
/// `swift build -c release --build-tests && SIGNET_INTAKE_BENCH=1 swift test -c release --skip-build
/// --filter IntakeThroughputTests`. Prints MB/s of body read, `finish()` included.
@Suite(
    .serialized, .timeLimit(.minutes(10)),
    .enabled(if: ProcessInfo.processInfo.environment["SIGNET_INTAKE_BENCH"] != nil))
struct IntakeThroughputTests {
    final class CountingSink: DocumentSink {
        var count = 0
        func write(_ bytes: UnsafeRawBufferPointer) throws { count += bytes.count }
    }

    static let chunkSize = 64 * 1024

    /// Feeds `body` in 64 KiB slices (no copies) and reports the best of three runs.
    static func measure(
        _ label: String, _ body: ByteBuffer, _ make: (@escaping (Int) throws -> any DocumentSink) -> any RequestIntake
    ) throws {
        var best = Duration.seconds(1_000)
        for _ in 0..<3 {
            let sink = CountingSink()
            var intake = make { _ in sink }
            let start = ContinuousClock.now
            var offset = 0
            while offset < body.readableBytes {
                let length = min(chunkSize, body.readableBytes - offset)
                try intake.feed(body.getSlice(at: offset, length: length) ?? ByteBuffer())
                offset += length
            }
            _ = try intake.finish()
            best = min(best, ContinuousClock.now - start)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        let megabytes = Double(body.readableBytes) / 1e6
        print(
            "\(label): \(Int(megabytes)) MB in \(String(format: "%.3f", seconds)) s = \(Int(megabytes / seconds)) MB/s")
    }

    static func content(_ size: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix(seed: seed)
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { buffer in
            for offset in stride(from: 0, to: size - 7, by: 8) {
                buffer.storeBytes(of: random.next(), toByteOffset: offset, as: UInt64.self)
            }
        }
        return bytes
    }

    /// A JSON body of `count` documents of `size` bytes (the same content, built once).
    static func jsonBody(count: Int, size: Int, escapingSlashes: Bool) throws -> ByteBuffer {
        let base64 = Data(content(size, seed: 1)).base64EncodedString()
        let encoder = JSONEncoder()
        if !escapingSlashes { encoder.outputFormatting = .withoutEscapingSlashes }
        let document = try encoder.encode(
            ClientRequest.Document(
                documentRequest: .init(externalReference: "d", name: "d.pdf", base64Content: base64, contentType: "x"),
                signatureInfo: .init(signatureType: "CAdES")))
        var body = ByteBuffer(string: #"{"externalReference":"bench","description":"d","documents":["#)
        body.reserveCapacity(count * (document.count + 1) + 100)
        for index in 0..<count {
            if index > 0 { body.writeString(",") }
            body.writeBytes(document)
        }
        body.writeString("]}")
        return body
    }

    static func multipartBody(count: Int, size: Int, boundary: String) -> ByteBuffer {
        let file = content(size, seed: 2)
        var body = ByteBuffer()
        body.reserveCapacity(count * (size + 200) + 1000)
        let documents = Array(repeating: #"{"documentRequest":{"name":"d.pdf"}}"#, count: count).joined(separator: ",")
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"signRequest\"\r\n\r\n")
        body.writeString(#"{"externalReference":"bench","documents":["# + documents + "]}")
        for _ in 0..<count {
            body.writeString(
                "\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"d.pdf\"\r\n")
            body.writeString("Content-Type: application/pdf\r\n\r\n")
            body.writeBytes(file)
        }
        body.writeString("\r\n--\(boundary)--\r\n")
        return body
    }

    @Test func json() throws {
        let shapes = [(10, 15_000_000), (2_500, 200_000)]
        for (count, size) in shapes {
            for escaping in [false, true] {
                let body = try Self.jsonBody(count: count, size: size, escapingSlashes: escaping)
                try Self.measure("JSONIntake \(count) × \(size) bytes, \(escaping ? "\\/" : "/")", body) { open in
                    JSONIntake(openSink: open, maxDocuments: 10_000, maxMetadataBytes: 16 << 20)
                }
                if count == 10 && escaping {
                    // The path it replaces: JSONDecoder over the whole body, then base64 per document.
                    let start = ContinuousClock.now
                    let data = Data(body.readableBytesView)
                    let request = try JSONDecoder().decode(OperationRequest.self, from: data)
                    let total = request.documents.reduce(0) {
                        $0 + (OperationRequest.decodeBase64($1.documentRequest.base64Content ?? "")?.count ?? 0)
                    }
                    #expect(total == count * size)
                    print("JSONDecoder + Data(base64Encoded:), same body: \(ContinuousClock.now - start)")
                }
            }
        }
    }

    @Test func multipart() throws {
        let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
        for (count, size) in [(10, 20_000_000), (2_500, 200_000)] {
            let body = Self.multipartBody(count: count, size: size, boundary: boundary)
            try Self.measure("MultipartIntake \(count) × \(size) bytes", body) { open in
                MultipartIntake(boundary: boundary, openSink: open, maxDocuments: 10_000, maxMetadataBytes: 16 << 20)
            }
        }
    }
}
