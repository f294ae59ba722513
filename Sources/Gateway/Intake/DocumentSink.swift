/// Receives one document's bytes as they arrive (the spool writes them to a file while hashing).
protocol DocumentSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}
