import Hummingbird

/// Reads a request body chunk by chunk (JSON or multipart/form-data).
protocol RequestIntake {
    /// Feeds the next chunk of the body. Throws `APIError` (400 with a stable code) as soon as the input is malformed.
    mutating func feed(_ chunk: ByteBuffer) throws
    /// The body has ended: checks it is complete and returns the metadata.
    mutating func finish() throws -> StreamedRequest
}
