import Hummingbird

/// `GET /metrics`: the gateway's metrics in Prometheus' text format, without authentication (as
/// `/health`): they hold counts, never ids or content. The dispatcher's and the spool's gauges are
/// read now, the counters are what `GatewayMetrics` has counted since the start.
struct MetricsController: Sendable {
    let hub: SignerHub
    let registry: OperationRegistry

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        router.get("/metrics") { _, _ in await self.scrape() }
    }

    func scrape() async -> Response {
        let metrics = registry.metrics
        await hub.reportLoad()
        metrics.spool(await registry.spoolUsage)
        return Response(
            status: .ok, headers: [.contentType: Self.contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }
}
