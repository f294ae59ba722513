import CSC
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import SwiftASN1
import X509

/// A CSC API v2 service with software keys: a test double for Signet's tests and compose
/// stacks, never a signing service for real documents. Keys and certificates are made at each
/// start under a throwaway CA (chains of 2).
///
/// Routes: `POST /csc/v2/{info, oauth2/token, credentials/list, credentials/info,
/// credentials/authorize, signatures/signHash}`, `POST /oauth2/token` (the OAuth 2.0 server
/// that `info` names), and for tests `POST /admin/down?seconds=N`, `POST /admin/up`,
/// `POST /admin/revoke-tokens`, `GET /admin/stats`.
public struct CSCSimulator: Sendable {
    public let configuration: SimulatorConfiguration
    public let options: SimulatorOptions
    let identities: SimulatorIdentities
    let state: SimulatorState
    let log: SimulatorLog?
    /// Each credential with the client it belongs to.
    let credentials: [String: (client: String, credential: SimulatorConfiguration.Credential)]

    public init(configuration: SimulatorConfiguration, options: SimulatorOptions = .init()) throws {
        self.configuration = configuration
        self.options = options
        identities = try SimulatorIdentities(configuration: configuration, tls: options.tls)
        state = SimulatorState(failFirst: options.failFirst, failRate: options.failRate)
        log = try options.logFile.map { try SimulatorLog(file: $0) }
        var credentials: [String: (client: String, credential: SimulatorConfiguration.Credential)] = [:]
        for (clientID, client) in configuration.clients {
            for credential in client.credentials { credentials[credential.id] = (clientID, credential) }
        }
        self.credentials = credentials
        if let directory = options.exportDirectory { try identities.export(to: directory) }
    }

    var tokenLifetime: Int { options.tokenLifetime ?? configuration.tokenLifetime }

    /// The HTTP(S) application; `onReady` gets the bound port once it listens.
    public func buildApplication(
        logger: Logger, onReady: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) throws -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        for method in Method.allCases {
            router.post(RouterPath(method.path)) { request, _ in try await self.respond(to: method, request) }
        }
        // The OAuth 2.0 server `info` names.
        router.post("/oauth2/token") { request, _ in try await self.respond(to: .token, request) }
        addAdminRoutes(to: router)
        let server: HTTPServerBuilder
        if let tls = identities.tls {
            server = try .tls(
                .http1(),
                tlsConfiguration: .makeServerConfiguration(
                    certificateChain: try tls.chain.map {
                        .certificate(try NIOSSLCertificate(bytes: $0, format: .der))
                    },
                    privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(tls.keyPEM.utf8), format: .pem))))
        } else {
            server = .http1()
        }
        return Application(
            router: router, server: server,
            configuration: .init(
                address: .hostname(options.host, port: options.port), serverName: "Signet CSC simulator"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? options.port) },
            logger: logger)
    }

    /// The CA certificate, PEM: what clients trust (also `ca.pem` in the export folder).
    public var caPEM: String { PEMDocument(type: "CERTIFICATE", derBytes: identities.caDER).pemString + "\n" }

    /// A credential's chain (leaf, CA) as DER.
    public func chain(of credentialID: String) -> [[UInt8]]? {
        identities.credentials[credentialID]?.chain
    }

    /// Calls answered so far, by path (`/csc/v2/signatures/signHash`), and tokens issued.
    public func calls() async -> [String: Int] { await state.calls }
    public func tokensIssued() async -> Int { await state.tokensIssued }
    /// Every issued token stops working: the next API call answers 401.
    public func revokeTokens() async { await state.revokeTokens() }
    /// Every CSC call answers 503 for `duration`.
    public func takeDown(for duration: Duration) async { await state.takeDown(for: duration) }

    /// The CSC methods, by path.
    enum Method: String, CaseIterable {
        case info
        case token = "oauth2/token"
        case list = "credentials/list"
        case credentialInfo = "credentials/info"
        case authorize = "credentials/authorize"
        case signHash = "signatures/signHash"

        var path: String { "/csc/v2/" + rawValue }
    }

    /// What a method answers, with what the log records about its request.
    struct Reply {
        var status: HTTPResponse.Status
        var body: [UInt8]
        var headers: HTTPFields = [:]
        var hashLengths: [Int]?

        static func json(_ value: some Encodable, hashLengths: [Int]? = nil) -> Reply {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Encoding these plain structs cannot fail.
            let body = (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
            return Reply(status: .ok, body: body, hashLengths: hashLengths)
        }

        static func error(
            _ status: HTTPResponse.Status, _ error: String, _ description: String, hashLengths: [Int]? = nil
        ) -> Reply {
            var reply = json(ErrorResponse(error: error, errorDescription: description), hashLengths: hashLengths)
            reply.status = status
            return reply
        }
    }

    /// Reads the body, answers, counts and logs (sizes only).
    func respond(to method: Method, _ request: Request) async throws -> Response {
        let body = Array(try await request.body.collect(upTo: 4 << 20).readableBytesView)
        let path = request.uri.path
        await state.count(path)
        var reply: Reply
        if let down = await state.downFor() {
            reply = .error(.serviceUnavailable, "temporarily_unavailable", "The service is down for maintenance")
            reply.headers[.retryAfter] = "\(max(1, Int((Double(down.components.seconds) + 0.999).rounded(.down))))"
        } else {
            reply = await answer(method, headers: request.headers, authority: request.head.authority, body: body)
        }
        reply.headers[.contentType] = "application/json"
        await log?.write(
            path: path, status: Int(reply.status.code), requestBytes: body.count, responseBytes: reply.body.count,
            hashLengths: reply.hashLengths)
        return Response(
            status: reply.status, headers: reply.headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    func answer(_ method: Method, headers: HTTPFields, authority: String?, body: [UInt8]) async -> Reply {
        switch method {
        case .info:
            return info(authority: authority)
        case .token:
            return await token(headers: headers, body: body)
        default:
            break
        }
        guard let bearer = Self.bearer(headers), let client = await state.client(bearing: bearer) else {
            var reply = Reply.error(.unauthorized, "invalid_token", "The access token is missing, invalid or expired")
            reply.headers[.wwwAuthenticate] = #"Bearer error="invalid_token""#
            return reply
        }
        switch method {
        case .list: return list(client: client, body: body)
        case .credentialInfo: return credentialInfo(client: client, body: body)
        case .authorize: return await authorize(client: client, body: body)
        case .signHash: return await signHash(client: client, body: body)
        case .info, .token: return .error(.notFound, "invalid_request", "Unknown method")
        }
    }

    static func bearer(_ headers: HTTPFields) -> String? {
        guard let value = headers[.authorization], value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    private func addAdminRoutes(to router: Router<BasicRequestContext>) {
        router.post("/admin/down") { request, _ in
            let seconds = request.uri.queryParameters.get("seconds", as: Double.self) ?? 30
            guard seconds > 0, seconds <= 86_400 else {
                return Response(status: .badRequest)
            }
            await self.state.takeDown(for: .milliseconds(Int64(seconds * 1000)))
            return Self.adminJSON(["downForSeconds": seconds])
        }
        router.post("/admin/up") { _, _ in
            await self.state.bringUp()
            return Self.adminJSON(["downForSeconds": 0])
        }
        router.post("/admin/revoke-tokens") { _, _ in
            await self.state.revokeTokens()
            return Self.adminJSON(["revoked": true])
        }
        router.get("/admin/stats") { _, _ in
            struct Stats: Encodable {
                let calls: [String: Int]
                let tokensIssued: Int
            }
            return Self.adminJSON(Stats(calls: await self.state.calls, tokensIssued: await self.state.tokensIssued))
        }
    }

    private static func adminJSON(_ value: some Encodable) -> Response {
        let reply = Reply.json(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}

extension HTTPField.Name {
    // Valid token literals: the initializer cannot fail for them.
    // swift-format-ignore: NeverForceUnwrap
    static let retryAfter = HTTPField.Name("Retry-After")!
}
