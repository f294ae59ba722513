/// A signed result as it is kept: `tail` after the document's own bytes when the signature is an
/// incremental update that keeps them as its exact prefix (PAdES), or `tail` alone (a CAdES
/// `.p7s`). A signed PDF is then stored as the few KB its signature adds, in the same
/// transaction as its status, instead of a second copy of the document synced as its own file.
struct StoredResult: Sendable, Equatable {
    /// Whether the result starts with the document's input bytes (`spool/<id>/<n>.in`).
    var keepsInput: Bool
    var tail: [UInt8]

    /// Splits `signed` against the document it signs: the shared prefix is not stored twice.
    init(signed: [UInt8], original: [UInt8]?) {
        if let original, !original.isEmpty, signed.count > original.count, signed.starts(with: original) {
            self.init(keepsInput: true, tail: Array(signed[original.count...]))
        } else {
            self.init(keepsInput: false, tail: signed)
        }
    }

    init(keepsInput: Bool, tail: [UInt8]) {
        self.keepsInput = keepsInput
        self.tail = tail
    }

    /// The result's size, given the input's.
    func size(inputSize: Int) -> Int { (keepsInput ? inputSize : 0) + tail.count }
}
