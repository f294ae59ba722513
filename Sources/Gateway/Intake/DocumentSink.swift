/// Receives one document's bytes as they arrive (the spool writes them to a file while hashing).
///
/// An intake calls `write` on the thread that feeds it, in order, never concurrently; the buffer is
/// valid only during the call. An error thrown here stops the intake and comes out of its `feed`.
protocol DocumentSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}
