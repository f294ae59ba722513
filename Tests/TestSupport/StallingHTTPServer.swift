import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP server on loopback that reads a request, answers `200` headers announcing a body, and
/// then sends nothing more: a peer that stalls after the headers (a broken time-stamping
/// authority, a slow proxy). Connections stay open until `stop()`.
public final class StallingHTTPServer: @unchecked Sendable {
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)/stall" }
    private let listener: Int32
    private let connections = NSLock()
    private var open: [Int32] = []
    private var stopped = false

    public init() throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let fd = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw ShellError.failed("cannot listen on loopback") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }  // closed by stop()
            connections.lock()
            let isStopped = stopped
            if !isStopped { open.append(fd) }
            connections.unlock()
            if isStopped {
                close(fd)
                return
            }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            _ = read(fd, &buffer, buffer.count)
            let head = Array(
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 4096\r\n\r\n".utf8)
            _ = head.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }

    /// Closes the listener and every connection.
    public func stop() {
        connections.lock()
        stopped = true
        let fds = open
        open = []
        connections.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in fds {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }
}
