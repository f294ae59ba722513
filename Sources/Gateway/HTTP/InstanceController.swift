import Foundation
import Hummingbird

/// `GET /v1/instance`: this gateway's instance number (which its operation ids carry, see
/// `OperationIDs`) and the URL it advertises to clients. Peers ask it to redirect calls here; no credentials.
struct InstanceController: Sendable {
    let advertised: AdvertisedAddress

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        router.get("/v1/instance") { _, _ in
            try Response.json(
                PeerDirectory.Instance(instance: advertised.instance, url: advertised.url("")), status: .ok)
        }
    }
}
