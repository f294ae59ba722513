import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL

/// A remote signing service (CSC API v2) as reached from here: its API base URL, the outbound
/// HTTP client (proxy, TLS trust, timeouts) and its `info`, asked once. One per service, shared
/// by the `CSCClient`s of all client services that use it; `shutdown()` it when done.
public final class CSCService: Sendable {
    public struct Configuration: Sendable {
        /// The service's URL; `csc/v2/` is appended unless it already ends with it.
        public var baseURL: String
        /// An outbound HTTP proxy (HTTP CONNECT, also for https).
        public var proxy: Proxy?
        /// A PEM file of extra CA certificates to trust besides the system's (a private PKI).
        /// The service's certificate is always verified.
        public var extraCAFile: String?
        public var connectTimeout: Duration
        /// A whole answer must arrive within this (and no read may stall longer).
        public var requestTimeout: Duration

        public struct Proxy: Sendable, Equatable {
            public var host: String
            public var port: Int

            public init(host: String, port: Int) {
                self.host = host
                self.port = port
            }
        }

        public init(
            baseURL: String, proxy: Proxy? = nil, extraCAFile: String? = nil, connectTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(60)
        ) {
            self.baseURL = baseURL
            self.proxy = proxy
            self.extraCAFile = extraCAFile
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
        }
    }

    /// A configuration that cannot work (bad URL, unreadable CA file): stop at start.
    public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The API base, ending with `csc/v2/`.
    public let apiBase: String
    let http: HTTPClient
    let requestTimeout: Duration
    let logger: Logger
    private let infoSource: InfoSource
    /// The most bytes read from one answer (a long chain, or a thousand RSA-4096 signatures, is
    /// far less).
    static let maxResponseBytes = 16 << 20

    public init(configuration: Configuration, logger: Logger) throws {
        apiBase = try Self.apiBase(configuration.baseURL)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let file = configuration.extraCAFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw ConfigurationError(description: "CA file \(file): not readable PEM certificates (\(error))")
            }
            guard !certificates.isEmpty else {
                throw ConfigurationError(description: "CA file \(file) holds no certificate")
            }
            tls.additionalTrustRoots = [.certificates(certificates)]
        }
        let http = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(configuration.connectTimeout.totalNanoseconds),
                read: .nanoseconds(configuration.requestTimeout.totalNanoseconds)),
            proxy: configuration.proxy.map { .server(host: $0.host, port: $0.port) })
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
        self.requestTimeout = configuration.requestTimeout
        self.logger = logger
        infoSource = InfoSource()
        if apiBase.hasPrefix("http://") {
            logger.warning(
                "the CSC service URL is plain http: use https beyond loopback", metadata: ["csc.url": "\(apiBase)"])
        }
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// `info`, asked once (again only after a transient failure).
    public func info() async throws(CSCError) -> InfoResponse {
        guard let info = try await infoSource.info({ () async throws(CSCError) in try await self.fetchInfo() }) else {
            throw .protocolError("info: the service gives no usable CSC info object")
        }
        return info
    }

    /// Asks `info` now, never from the cache: whether the service answers (health checks).
    public func probe() async throws(CSCError) {
        guard try await fetchInfo() != nil else {
            throw .protocolError("info: the service gives no usable CSC info object")
        }
    }

    /// `info` as the service answers it; `nil` when it answers, but not with a usable info
    /// object (an error status that is not transient, or another body).
    private func fetchInfo() async throws(CSCError) -> InfoResponse? {
        let exchange = try await post(
            "info", url: apiBase + "info", body: Array(#"{}"#.utf8), contentType: "application/json", bearer: nil)
        guard exchange.status == 200 else {
            let error = CSCError.fromAPI(
                method: "info", status: exchange.status, body: exchange.body, retryAfter: exchange.retryAfter,
                redacting: [])
            if error.isTransient { throw error }
            logger.warning("CSC info refused", metadata: ["csc.url": "\(apiBase)", "csc.error": "\(error)"])
            return nil
        }
        guard let info = try? JSONDecoder().decode(InfoResponse.self, from: Data(exchange.body)) else {
            logger.warning("CSC info is not a CSC info object", metadata: ["csc.url": "\(apiBase)"])
            return nil
        }
        return info
    }

    /// Where tokens come from: `oauth2/token` under the `oauth2` URI that `info` names, or under
    /// the API base when it names none (or answers `info` with an error or something else).
    func tokenURL() async throws(CSCError) -> String {
        let info = try await infoSource.info { () async throws(CSCError) in try await self.fetchInfo() }
        return Self.tokenURL(oauth2: info?.oauth2, apiBase: apiBase)
    }

    static func apiBase(_ url: String) throws -> String {
        var base = url.trimmingCharacters(in: .whitespaces)
        guard let parsed = URL(string: base), let scheme = parsed.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = parsed.host, !host.isEmpty,
            parsed.query == nil, parsed.fragment == nil, parsed.user == nil
        else {
            throw ConfigurationError(
                description: "the CSC service URL must be http(s)://HOST[:PORT][/PATH], not '\(url)'")
        }
        if !base.hasSuffix("/") { base += "/" }
        if !base.hasSuffix("csc/v2/") { base += "csc/v2/" }
        return base
    }

    static func tokenURL(oauth2: String?, apiBase: String) -> String {
        guard let oauth2 = oauth2?.trimmingCharacters(in: .whitespaces),
            let url = URL(string: oauth2), ["http", "https"].contains(url.scheme?.lowercased() ?? "")
        else { return apiBase + "oauth2/token" }
        if oauth2.hasSuffix("oauth2/token") { return oauth2 }
        return (oauth2.hasSuffix("/") ? oauth2 : oauth2 + "/") + "oauth2/token"
    }

    struct Exchange: Sendable {
        let status: Int
        let body: [UInt8]
        let retryAfter: Duration?
    }

    /// POSTs `body` and reads the whole answer; failures before an answer are `CSCError`s.
    func post(_ method: String, url: String, body: [UInt8], contentType: String, bearer: String?)
        async throws(CSCError) -> Exchange
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "Accept", value: "application/json")
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let started = ContinuousClock.now
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(requestTimeout.totalNanoseconds))
            let answer = try await response.body.collect(upTo: Self.maxResponseBytes)
            let exchange = Exchange(
                status: Int(response.status.code), body: Array(answer.readableBytesView),
                retryAfter: RetryAfter.parse(response.headers.first(name: "Retry-After")))
            logger.debug(
                "CSC call",
                metadata: [
                    "csc.method": "\(method)", "http.status": "\(exchange.status)",
                    "csc.duration_ms": "\((ContinuousClock.now - started).totalNanoseconds / 1_000_000)",
                    "http.request_bytes": "\(body.count)", "http.response_bytes": "\(exchange.body.count)",
                ])
            return exchange
        } catch is NIOTooManyBytesError {
            throw .protocolError("\(method): the answer is larger than \(Self.maxResponseBytes) bytes")
        } catch {
            logger.debug(
                "CSC call failed", metadata: ["csc.method": "\(method)", "csc.error": "\(type(of: error))"])
            throw CSCError.fromTransport(error, method: method)
        }
    }
}

/// `info`, fetched by one caller at a time and kept once the service answered (an unusable
/// answer is kept as `nil`); asked again after a failure without an answer.
private actor InfoSource {
    private var answered = false
    private var cached: InfoResponse?
    private var fetching: Task<InfoResponse?, any Error>?

    func info(_ fetch: @escaping @Sendable () async throws(CSCError) -> InfoResponse?) async throws(CSCError)
        -> InfoResponse?
    {
        if answered { return cached }
        let task = fetching ?? Task { try await fetch() }
        fetching = task
        let result = await task.result
        if fetching == task { fetching = nil }
        switch result {
        case .success(let info):
            answered = true
            cached = info
            return info
        case .failure(let error as CSCError):
            throw error
        case .failure(let error):
            throw .transient("info: \(error)", retryAfter: nil)
        }
    }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating).
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : scaled &+ attoseconds / 1_000_000_000
    }
}
