import Foundation
import Hummingbird

/// Interim JSON intake: collects the body, then decodes it and writes each document to its sink.
struct BufferedJSONIntake: RequestIntake {
    let openSink: (Int) throws -> any DocumentSink
    private var body = ByteBuffer()

    init(openSink: @escaping (Int) throws -> any DocumentSink) {
        self.openSink = openSink
    }

    mutating func feed(_ chunk: ByteBuffer) throws {
        var chunk = chunk
        body.writeBuffer(&chunk)
    }

    mutating func finish() throws -> StreamedRequest {
        var decoded: OperationRequest
        do {
            decoded = try JSONDecoder().decode(OperationRequest.self, from: Data(buffer: body))
        } catch {
            throw APIError.badRequest("INVALID_JSON", OperationsController.explain(error))
        }
        var hasContent: [Bool] = []
        for index in decoded.documents.indices {
            guard let base64 = decoded.documents[index].documentRequest.base64Content else {
                hasContent.append(false)
                continue
            }
            guard let content = OperationRequest.decodeBase64(base64) else {
                throw APIError.badRequest(
                    "INVALID_BASE64",
                    "documents[\(index)].documentRequest.base64Content is not valid base64 (standard alphabet, '=' padding, line breaks)"
                )
            }
            let sink = try openSink(index)
            try content.withUnsafeBytes { try sink.write($0) }
            decoded.documents[index].documentRequest.base64Content = nil
            hasContent.append(true)
        }
        return StreamedRequest(request: decoded, hasContent: hasContent)
    }
}
