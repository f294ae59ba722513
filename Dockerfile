# Signet's image: signet-gateway, signet-signer and the CSC simulator (signet-csc-sim, a test double
# for compose stacks and the image test), built in release with the Swift standard library linked
# statically, run as a non-root user on Debian 12 with only the C libraries they link.
#
#   docker build -t signet:latest .          (or `make image`: docker when its engine answers, else podman)
#   docker run -d --mount source=vol1,target=/tmp --mount type=bind,source=/path/to/work,target=/home \
#     -p 8085:8080 --memory=4g signet:latest --server.host.port=HOST:8085 \
#     --einvoice-integration-client.service.domain=https://saas.example/
#
# Port 8080; /home is the work folder (client-services-config.json, keys), /tmp a volume holding
# the state folder /tmp/signet (operation table, spool, CURVE keys). docs/operations.md explains
# the volumes, the user (uid 10001) and how the entrypoint sizes the local signers.

FROM swift:6.3-bookworm AS build
# The C libraries Package.swift links (CZeroMQ, GRDB's SQLite, CZlib, CLibXML2) and pkg-config to find them.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libzmq3-dev libsqlite3-dev zlib1g-dev libxml2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve the dependencies in a layer of their own: it is kept while only sources change.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
# One release build; SwiftPM builds one product per call, the later calls reuse the first's objects.
# The build folder is a cache mount (BuildKit, buildah), so a rebuild after a source change is
# incremental; the binaries are copied out of it.
RUN --mount=type=cache,target=/src/.build,id=signet-swift-build \
    for product in signet-gateway signet-signer signet-csc-sim; do \
        swift build -c release --static-swift-stdlib --product "$product" || exit 1; \
    done \
    && mkdir -p /out \
    && bin=$(swift build -c release --static-swift-stdlib --show-bin-path) \
    && cp "$bin/signet-gateway" "$bin/signet-signer" "$bin/signet-csc-sim" /out/ \
    && strip /out/*

FROM debian:bookworm-slim
# Run time: the C libraries (libzmq5 with CURVE, SQLite, zlib, libxml2) and the CA certificates for TLS to
# the remote signing service. Nothing else: the gateway shells out to no tool but its own signer.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libzmq5 libsqlite3-0 zlib1g libxml2 ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && groupadd --system --gid 10001 signet \
    && useradd --system --uid 10001 --gid signet --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin signet \
    && mkdir -p /tmp/signet \
    && chown signet:signet /tmp/signet \
    && chmod 0700 /tmp/signet \
    && chmod 1777 /tmp
COPY --from=build /out/signet-gateway /out/signet-signer /out/signet-csc-sim /usr/local/bin/
COPY scripts/container-entrypoint.sh /usr/local/bin/signet-entrypoint
COPY scripts/container-healthcheck.sh /usr/local/bin/signet-healthcheck
USER 10001:10001
WORKDIR /home
EXPOSE 8080 5555
# /tmp is the state volume of the Sign'Stash command; a new named volume starts as a copy of the
# image's /tmp (so /tmp/signet belongs to the signet user).
VOLUME ["/tmp"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["signet-healthcheck"]
ENTRYPOINT ["signet-entrypoint"]
