import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Many raw TCP connections to a server, idle or dripping an HTTP request head one byte at a
/// time (slowloris), to check that they neither starve real clients nor stay open forever.
final class SlowClients: @unchecked Sendable {
    private let sockets: [Int32]
    private let dripping: Set<Int32>
    private let stop = NSLock()
    private var stopped = false

    /// `idle` connections that send nothing and `dripping` ones that send a request head a byte
    /// every `interval`, never finishing it.
    init(port: Int, idle: Int, dripping: Int, interval: Duration = .milliseconds(500)) throws {
        var sockets: [Int32] = []
        for _ in 0..<(idle + dripping) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                for open in sockets + [fd] { Glibc.close(open) }
                throw TestFailure("connection \(sockets.count) failed: \(String(cString: strerror(errno)))")
            }
            sockets.append(fd)
        }
        self.sockets = sockets
        self.dripping = Set(sockets.suffix(dripping))
        let head = Array("POST /v1/operations HTTP/1.1\r\nHost: signet\r\nX-Slow: ".utf8)
        let thread = Thread { [self] in
            var sent = 0
            while !isStopped {
                let byte = sent < head.count ? head[sent] : UInt8(ascii: "a")
                for fd in self.dripping { _ = withUnsafePointer(to: byte) { send(fd, $0, 1, Int32(MSG_NOSIGNAL)) } }
                sent += 1
                Thread.sleep(
                    forTimeInterval: Double(interval.components.seconds) + Double(interval.components.attoseconds)
                        / 1e18)
            }
        }
        thread.start()
    }

    private var isStopped: Bool {
        stop.lock()
        defer { stop.unlock() }
        return stopped
    }

    var count: Int { sockets.count }

    /// How many connections the server has closed (end of stream or reset), waiting up to
    /// `timeout` for all of them.
    func closedByServer(within timeout: Duration) -> Int {
        var closed = Set<Int32>()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while closed.count < sockets.count && ContinuousClock.now < deadline {
            var items = sockets.filter { !closed.contains($0) }.map {
                pollfd(fd: $0, events: Int16(POLLIN), revents: 0)
            }
            guard poll(&items, nfds_t(items.count), 200) >= 0 else { break }
            for item in items where item.revents != 0 {
                // Anything readable here is the end of the stream (or an error answer before it).
                if recv(item.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) <= 0 { closed.insert(item.fd) }
            }
        }
        return closed.count
    }

    func close() {
        stop.lock()
        stopped = true
        stop.unlock()
        for fd in sockets { Glibc.close(fd) }
    }
}

/// One connection that sends a request head, then one body byte every 300 ms, forever.
final class DrippingRequest: @unchecked Sendable {
    private let fd: Int32
    private let stop = NSLock()
    private var stopped = false

    init(port: Int, head: [UInt8]) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let socketFD = fd
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw TestFailure("cannot connect: \(String(cString: strerror(errno)))") }
        _ = head.withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        Thread { [self] in
            while !isStopped {
                var byte = UInt8(ascii: " ")
                if send(socketFD, &byte, 1, Int32(MSG_NOSIGNAL)) < 0 { return }
                Thread.sleep(forTimeInterval: 0.3)
            }
        }.start()
    }

    private var isStopped: Bool {
        stop.lock()
        defer { stop.unlock() }
        return stopped
    }

    /// What the server sent until `marker` appeared (or `timeout` passed).
    func read(until marker: String, within timeout: Duration) -> String {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline, !String(decoding: received, as: UTF8.self).contains(marker) {
            var item = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&item, 1, 200) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the server closed the connection (end of stream or reset) within `timeout`.
    func closedByServer(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var item = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&item, 1, 200) > 0 else { continue }
            if recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) <= 0 { return true }
        }
        return false
    }

    func close() {
        stop.lock()
        stopped = true
        stop.unlock()
        Glibc.close(fd)
    }
}
