/// What a streamed request was, once its whole body has been read.
struct StreamedRequest: Sendable {
    /// The request's metadata: the JSON without any `base64Content` (those fields are nil).
    var request: OperationRequest
    /// Per document index: whether content arrived for it (a base64Content string, or a `files` part).
    var hasContent: [Bool]
}
