import Foundation
import HTTPTypes
import Hummingbird

/// `POST /oauth/token`, and Sign'Stash's `POST /oauth2/authorization-server/oauth/token`: OAuth2
/// client_credentials (RFC 6749 §4.4). `grant_type` in the form or the query; credentials in
/// HTTP Basic or as `client_id` / `client_secret` form fields. The answer has Sign'Stash's
/// fields (`token_type: "bearer"`, `scope`, `jti`); errors use RFC 6749's body.
struct TokenController: Sendable {
    let auth: Authenticator

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        for path in Self.paths { router.post(RouterPath(path)) { request, _ in try await self.token(request) } }
    }

    static let paths = ["/oauth/token", "/oauth2/authorization-server/oauth/token"]

    /// RFC 6749 §5.1 field names, and Sign'Stash's `scope` and `jti` (the token's own id).
    private struct TokenResponse: Encodable {
        let accessToken: String
        let tokenType = "bearer"
        let expiresIn: Int
        let scope = "read write"
        let jti = UUID().uuidString.lowercased()

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case tokenType = "token_type"
            case expiresIn = "expires_in"
            case scope, jti
        }
    }

    func token(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let form = Self.parseForm(String(buffer: body))
        let grantType = form["grant_type"] ?? request.uri.queryParameters.get("grant_type")
        guard grantType == "client_credentials" else {
            return Self.oauthError(.badRequest, "unsupported_grant_type", "grant_type must be client_credentials")
        }
        let basic = request.headers[.authorization].flatMap(Authenticator.basicCredentials)
        guard let (id, secret) = basic ?? form["client_id"].flatMap({ id in form["client_secret"].map { (id, $0) } })
        else {
            return Self.oauthError(.unauthorized, "invalid_client", "client credentials are required")
        }
        guard auth.clients.verify(clientID: id, secret: secret) else {
            return Self.oauthError(.unauthorized, "invalid_client", "invalid client credentials")
        }
        let token = TokenResponse(
            accessToken: auth.issueToken(clientID: id), expiresIn: Int(auth.tokenLifetime.components.seconds))
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers[.pragma] = "no-cache"
        return try .json(token, headers: headers)
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    static func oauthError(_ status: HTTPResponse.Status, _ code: String, _ description: String) -> Response {
        let body = #"{"error":"\#(code)","error_description":"\#(description)"}"#
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"signet\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
