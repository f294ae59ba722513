extension Duration {
    /// Whole nanoseconds, for APIs that take them (NIO's `TimeAmount`).
    public var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
