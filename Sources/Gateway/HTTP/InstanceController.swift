import Foundation
import Hummingbird

/// `GET /v1/instance`: this gateway's instance tag (the first part of the operation ids it mints)
/// and the URL it advertises to clients. Peers ask it to redirect calls here; no credentials.
struct InstanceController: Sendable {
    let advertised: AdvertisedAddress

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/instance") { _, _ in
            try Response.json(
                PeerDirectory.Instance(instance: advertised.instanceTag, url: advertised.url("")), status: .ok)
        }
    }
}
