import Foundation

/// Each client service's identity at the remote signing service, from
/// `client-services-config.json`: by default its own id and secret are its OAuth2 client
/// credentials there (as the Sign'Stash proxy authenticates to its SaaS); an optional `remote`
/// object overrides them and names the credential to sign with:
///
///     { "acme": { "secret": "…", "remote": { "clientId": "…", "clientSecret": "…", "credentialID": "…" } } }
public struct RemoteAccount: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: String
    /// The credential to sign with; nil takes the first one `credentials/list` names.
    public var credentialID: String?

    public init(clientID: String, clientSecret: String, credentialID: String? = nil) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.credentialID = credentialID
    }

    /// The accounts of every client service in the file, by client service id.
    public static func load(from path: String) throws(SigningError) -> [String: RemoteAccount] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SigningError(code: "CLIENT_SERVICES_UNREADABLE", message: "cannot read \(path)")
        }
        return try parse(data, path: path)
    }

    static func parse(_ data: Data, path: String) throws(SigningError) -> [String: RemoteAccount] {
        struct Remote: Decodable {
            var clientId: String?
            var clientSecret: String?
            var credentialID: String?
        }
        struct Entry: Decodable {
            var secret: String
            var remote: Remote?
        }
        let entries: [String: Entry]
        do {
            entries = try JSONDecoder().decode([String: Entry].self, from: data)
        } catch {
            throw SigningError(
                code: "CLIENT_SERVICES_INVALID",
                message:
                    "\(path) is not valid: expected {\"<CLIENT_SERVICE_ID>\": {\"secret\": \"...\", \"remote\": {\"clientId\", \"clientSecret\", \"credentialID\"} (optional)}}"
            )
        }
        var accounts: [String: RemoteAccount] = [:]
        for (id, entry) in entries {
            if let remote = entry.remote, (remote.clientId == nil) != (remote.clientSecret == nil) {
                throw SigningError(
                    code: "CLIENT_SERVICES_INVALID",
                    message: "\(path): the remote account of \(id) needs both clientId and clientSecret")
            }
            accounts[id] = RemoteAccount(
                clientID: entry.remote?.clientId ?? id, clientSecret: entry.remote?.clientSecret ?? entry.secret,
                credentialID: entry.remote?.credentialID)
        }
        return accounts
    }
}
