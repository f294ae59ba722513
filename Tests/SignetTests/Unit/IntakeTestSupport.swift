import Foundation
import HTTPTypes
import NIOCore
import TestSupport
import Testing

@testable import Gateway

/// A sink that keeps what it receives.
final class CollectingSink: DocumentSink {
    var bytes: [UInt8] = []
    var writes = 0

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        bytes.append(contentsOf: buffer)
        writes += 1
    }
}

/// The sinks an intake opened, in the order it opened them.
final class OpenedSinks {
    var order: [Int] = []
    var sinks: [Int: CollectingSink] = [:]
    /// Entries the intake saw whole, with their signature type, in order.
    var ended: [(document: Int, signatureType: String?)] = []

    func open(_ index: Int) throws -> any DocumentSink {
        #expect(sinks[index] == nil, "sink \(index) opened twice")
        let sink = CollectingSink()
        order.append(index)
        sinks[index] = sink
        return sink
    }

    func end(_ index: Int, _ signatureType: String?) throws { ended.append((index, signatureType)) }

    func bytes(_ index: Int) -> [UInt8]? { sinks[index]?.bytes }
}

/// How a body is cut into chunks.
enum Chunking: CaseIterable, Sendable {
    case whole, size1, size2, size3, size7, size4096, random1, random2

    static let small: [Chunking] = allCases
    static let large: [Chunking] = [.whole, .size4096, .random1, .random2]

    func ranges(_ count: Int) -> [Range<Int>] {
        let size: Int
        switch self {
        case .whole: return [0..<count]
        case .size1: size = 1
        case .size2: size = 2
        case .size3: size = 3
        case .size7: size = 7
        case .size4096: size = 4096
        case .random1, .random2:
            var random = SeededRandom(seed: self == .random1 ? 1 : UInt64(count))
            var ranges: [Range<Int>] = []
            var start = 0
            while start < count {
                let length = min(count - start, Int(random.next() % 9000) + 1)
                ranges.append(start..<start + length)
                start += length
            }
            return ranges
        }
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }
}

/// Feeds `body` in the given chunks and finishes.
func intake(_ intake: inout some RequestIntake, _ body: [UInt8], _ chunking: Chunking) throws -> StreamedRequest {
    for range in chunking.ranges(body.count) { try intake.feed(ByteBuffer(bytes: body[range])) }
    return try intake.finish()
}

func jsonIntake(
    _ body: [UInt8], _ chunking: Chunking = .whole, maxDocuments: Int = 100, maxMetadataBytes: Int = 1 << 20
) throws -> (StreamedRequest, OpenedSinks) {
    let sinks = OpenedSinks()
    var json = JSONIntake(
        openSink: sinks.open, endDocument: sinks.end, maxDocuments: maxDocuments, maxMetadataBytes: maxMetadataBytes)
    return (try intake(&json, body, chunking), sinks)
}

/// Expects `body` to throw the API error `code` with `status`, its message containing `message`.
func expectAPIError(
    _ code: String, _ status: HTTPResponse.Status = .badRequest, message: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code), got no error", sourceLocation: sourceLocation)
    } catch let error as APIError {
        #expect(error.errorCode == code, "\(error.causeMessage)", sourceLocation: sourceLocation)
        #expect(error.status == status, sourceLocation: sourceLocation)
        if let message {
            #expect(error.causeMessage.contains(message), "\(error.causeMessage)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// The request model as a Sign'Stash client encodes it (`base64Content` between other fields).
struct ClientRequest: Encodable {
    var externalReference: String?
    var description: String?
    var documents: [Document]

    struct Document: Encodable {
        var documentRequest: DocumentRequest
        var signatureInfo: SignatureInfo?
    }

    struct DocumentRequest: Encodable {
        var externalReference: String?
        var name: String?
        var base64Content: String?
        var contentType: String?
    }

    struct SignatureInfo: Encodable {
        var signatureType: String?
        var reason: String?
        var applyTimestamp: Bool?
    }
}
