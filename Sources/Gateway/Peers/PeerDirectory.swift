import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// The other gateways of one deployment (`--peer URL`), known by the instance number their
/// operation ids carry (docs/operations.md, "Several instances").
///
/// Each peer tells its number and the URL it advertises to clients at `GET /v1/instance`; the
/// directory asks at start, every second until every peer has answered, then every 30 seconds
/// (a peer restarted with another `--instance-id` has another number). A lookup of a number not
/// known yet asks the unknown peers at once, so a call that arrives before the first round is
/// still redirected.
actor PeerDirectory: Service {
    /// What `GET /v1/instance` answers.
    struct Instance: Codable, Sendable, Equatable {
        var instance: Int
        var url: String
    }

    private let peers: [URL]
    private let ownInstance: Int
    private let client: HTTPClient
    private let logger: Logger
    /// By peer URL (as configured): the last answer.
    private var known: [URL: Instance] = [:]

    init(peers: [URL], ownInstance: Int, client: HTTPClient = .shared, logger: Logger) {
        self.peers = peers
        self.ownInstance = ownInstance
        self.client = client
        self.logger = logger
    }

    /// The base URL clients use for the peer whose operation ids carry `tag`.
    func url(ofInstance tag: Int) async -> String? {
        if let found = known.values.first(where: { $0.instance == tag }) { return found.url }
        guard known.count < peers.count else { return nil }
        await refresh(peers.filter { known[$0] == nil })
        return known.values.first(where: { $0.instance == tag })?.url
    }

    func run() async throws {
        // A service that returns ends the whole group: without peers, wait for the shutdown.
        guard !peers.isEmpty else { return try await gracefulShutdown() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refresh(self.peers)
                let everyone = await self.known.count == self.peers.count
                try? await Task.sleep(for: everyone ? .seconds(30) : .seconds(1))
            }
        }
    }

    private func refresh(_ targets: [URL]) async {
        await withTaskGroup(of: (URL, Instance?).self) { group in
            for peer in targets {
                group.addTask { [client, logger] in
                    (peer, await Self.ask(peer, client: client, logger: logger))
                }
            }
            for await (peer, answer) in group {
                guard let answer else { continue }
                guard answer.instance != ownInstance else {
                    logger.warning(
                        "a --peer is this gateway itself; ignored", metadata: ["peer.url": "\(peer.absoluteString)"])
                    continue
                }
                if known[peer] != answer {
                    logger.info(
                        "peer gateway known",
                        metadata: [
                            "peer.url": "\(peer.absoluteString)", "peer.instance": "\(answer.instance)",
                            "peer.advertised": "\(answer.url)",
                        ])
                }
                known[peer] = answer
            }
        }
    }

    private static func ask(_ peer: URL, client: HTTPClient, logger: Logger) async -> Instance? {
        let base = peer.absoluteString.hasSuffix("/") ? String(peer.absoluteString.dropLast()) : peer.absoluteString
        do {
            let response = try await client.execute(HTTPClientRequest(url: base + "/v1/instance"), timeout: .seconds(2))
            guard response.status == .ok else {
                logger.debug("peer answered without its instance", metadata: ["peer.url": "\(base)"])
                return nil
            }
            let body = try await response.body.collect(upTo: 4096)
            let instance = try JSONDecoder().decode(Instance.self, from: Data(buffer: body))
            return OperationIDs.instances.contains(instance.instance) ? instance : nil
        } catch {
            logger.debug("peer not reachable", metadata: ["peer.url": "\(base)", "error": "\(error)"])
            return nil
        }
    }
}
