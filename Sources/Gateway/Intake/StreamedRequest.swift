import NIOCore

/// What a streamed request was, once its whole body has been read.
struct StreamedRequest: Sendable {
    /// The request's metadata: the JSON without any `base64Content` (those fields are nil).
    var request: OperationRequest
    /// Per document index: whether content arrived for it (a base64Content string, or a `files` part).
    var hasContent: [Bool]
}

/// Reads a request body chunk by chunk (JSON or multipart/form-data).
///
/// Each document's content goes to the sink its intake opens for it, as it arrives; only the
/// metadata is kept (docs/intake.md).
protocol RequestIntake {
    /// Feeds the next chunk of the body. Throws `APIError` (400 with a stable code) as soon as the input is malformed.
    mutating func feed(_ chunk: ByteBuffer) throws
    /// The body has ended: checks it is complete and returns the metadata.
    mutating func finish() throws -> StreamedRequest
}
