#if canImport(Glibc)
    import Glibc
#endif

/// The process's open-file limit, which caps how many connections the gateway can hold.
enum FileDescriptors {
    /// Raises the soft limit to the hard one (as servers do at start) and returns it.
    static func raiseLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
