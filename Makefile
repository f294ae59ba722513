# Signet — the two commands users need: `make run` and `make test`.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# What building and running needs, and what the tests need on top (validators, tools).
RUN_PACKAGES := libzmq3-dev libsqlite3-dev pkg-config openssl zlib1g-dev libxml2-dev
TEST_PACKAGES := $(RUN_PACKAGES) curl qpdf poppler-utils ghostscript python3-venv tinyproxy-bin haproxy docker-compose xmlsec1 openjdk-17-jdk-headless libxml-security-java libslf4j-java
# Python validators nobody here wrote (pyHanko; signxml and lxml for XAdES), in a venv beside the tests;
# Apache Santuario (libxml-security-java, run by the JDK) and xmlsec1 are the other XAdES validators.
VENV := .venv
PY_TEST_PACKAGES := pyhanko==0.38.0 pyhanko-cli==0.6.0 asn1crypto==1.5.1 reportlab==5.1.0 prometheus-client==0.26.0 schemathesis==4.32.5 openapi-python-client==0.29.1 signxml==5.2.0 lxml==6.2.0
# `make bench` on top: wrk (status latency), curl (the client), and matplotlib (the plot) in the same venv.
BENCH_PACKAGES := wrk curl python3-venv
BENCH_PY_PACKAGES := matplotlib==3.11.2
WORK ?= ./work
STATE ?= ./state
PORT ?= 8080
ARGS ?=

.PHONY: run build test test-tsan deps test-deps bench-deps lint bench bench-memory chaos chaos-short stack clean \
	image image-test compose-check

define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
endef

deps:
	$(call install_missing,$(RUN_PACKAGES))

test-deps:
	$(call install_missing,$(TEST_PACKAGES))
	@[ -x $(VENV)/bin/pyhanko ] && [ -f $(VENV)/.packages ] && [ "$$(cat $(VENV)/.packages)" = "$(PY_TEST_PACKAGES)" ] || \
	  { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q $(PY_TEST_PACKAGES) && echo "$(PY_TEST_PACKAGES)" > $(VENV)/.packages; }

build: deps
	swift build -c release

# A demo client service with a random secret; its credentials go to a netrc file for curl.
$(WORK)/client-services-config.json:
	@mkdir -p $(WORK)
	@secret=$$(openssl rand -hex 16); \
	  printf '{ "demo": { "secret": "%s" } }\n' "$$secret" > $@; \
	  printf 'machine localhost login demo password %s\n' "$$secret" > $(WORK)/demo.netrc; \
	  chmod 600 $@ $(WORK)/demo.netrc
	@echo "created $@ with client service 'demo' (credentials in $(WORK)/demo.netrc)"

run: build $(WORK)/client-services-config.json
	.build/release/signet-gateway --work-folder $(WORK) --state-dir $(STATE) --port $(PORT) $(ARGS)

lint:
	swift format lint --strict -r Sources Tests Package.swift

# Suites run one after another: the end-to-end ones start whole systems of processes and check
# liveness and draining, which must not compete with other suites for the two cores.
test: test-deps lint compose-check
	swift build --build-tests
	swift test --skip-build --no-parallel
	$(MAKE) chaos-short

# The concurrency-heavy tests under ThreadSanitizer, with TSan-built gateway and signer binaries:
# every end-to-end suite (named *EndToEndTests) and the in-process ones that run threads. A
# sanitizer report from any process a test started fails that test (its log is scanned).
TSAN_TESTS := SignetTests\.(ZMQChannelTests|SignerSessionTests|DispatcherTests|DigestBatcherTests|SigningPipelineTests|GatewayAPITests|TimestampTests|[A-Za-z]+EndToEndTests)/
test-tsan: test-deps
	swift build --build-tests --sanitize=thread --scratch-path .build-tsan
	SIGNET_BIN_DIR=$(CURDIR)/.build-tsan/debug swift test --skip-build --no-parallel --sanitize=thread --scratch-path .build-tsan --filter '$(TSAN_TESTS)'

# What `make bench` needs beyond the build: its own stamp in the venv, so test-deps' stays valid.
bench-deps:
	$(call install_missing,$(BENCH_PACKAGES))
	@[ -x $(VENV)/bin/python ] && [ -f $(VENV)/.bench-packages ] && \
	  [ "$$(cat $(VENV)/.bench-packages)" = "$(PY_TEST_PACKAGES) $(BENCH_PY_PACKAGES)" ] || \
	  { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q $(PY_TEST_PACKAGES) $(BENCH_PY_PACKAGES) && \
	    echo "$(PY_TEST_PACKAGES) $(BENCH_PY_PACKAGES)" > $(VENV)/.bench-packages; }

# Throughput against this machine's limit and pyHanko, status latency, CPU and RSS, in one run
# (docs/benchmarks.md): the full matrix, ~10 min. BENCH_ARGS="--matrix quick" for a short one.
bench: build bench-deps
	$(VENV)/bin/python scripts/bench.py $(BENCH_ARGS)

# The scaled topology without containers (also part of `make test`): HAProxy round-robin over
# two gateways that name each other with --peer, external signers serving both (docs/operations.md).
stack: test-deps
	swift build --build-tests
	swift test --skip-build --filter ScaledStackEndToEndTests

# Memory and disk while large operations stream in (25 x 20 MB multipart and JSON, 2,500 x 200 KB).
bench-memory: build
	python3 scripts/bench_memory.py $(BENCH_ARGS)

# The fault harness (issue 7, docs/operations.md): load while signers and the gateway are killed
# with SIGKILL, then every acknowledged operation is reconciled and every signature verified.
# `chaos` is the issue's done-when run on the release build (the binaries users run, as `make
# bench` measures); `chaos-short` is the quick variant `make test` ends with, on the debug
# binaries `swift build --build-tests` has just built. CHAOS_ARGS adds or overrides flags.
CHAOS_ARGS ?=
chaos: build
	python3 scripts/chaos.py --bin-dir .build/release --duration 60 --rate 20 --documents 10 \
	  --signer-kill-every 5 --gateway-kills 3 $(CHAOS_ARGS)

chaos-short: deps
	swift build
	python3 scripts/chaos.py --bin-dir .build/debug --duration 15 --rate 5 --documents 10 \
	  --signer-kill-every 5 --gateway-kills 1 $(CHAOS_ARGS)

# The container image (Dockerfile; docs/operations.md): with docker when its engine answers, else
# with podman (runc as its runtime when installed; Docker format, which keeps the HEALTHCHECK).
# On a machine that cannot pull images, ../shared/tools/container-base.sh makes the two base images
# from Debian's packages and this machine's Swift toolchain; it runs when they are missing.
IMAGE ?= signet:latest
CONTAINER_ENGINE ?= $(shell docker info >/dev/null 2>&1 && echo docker || echo podman)
# Without a docker engine, Debian's podman (and runc, its runtime here) are installed.
IMAGE_PACKAGES := $(if $(filter podman,$(CONTAINER_ENGINE)),podman runc)
CONTAINER_BASE := ../shared/tools/container-base.sh
image:
	$(call install_missing,$(IMAGE_PACKAGES))
	@if [ "$(CONTAINER_ENGINE)" = podman ] && [ -x $(CONTAINER_BASE) ] && \
	  ! { podman image exists docker.io/library/swift:6.3-bookworm && podman image exists docker.io/library/debian:bookworm-slim; }; then \
	  echo "making the base images with $(CONTAINER_BASE) --swift"; nice -n 10 $(CONTAINER_BASE) --swift; fi
	if [ "$(CONTAINER_ENGINE)" = podman ]; then \
	  nice -n 10 podman build $$(command -v runc >/dev/null && echo --runtime runc) --format docker -t $(IMAGE) . ; \
	else DOCKER_BUILDKIT=1 nice -n 10 $(CONTAINER_ENGINE) build -t $(IMAGE) . ; fi

# The image test: the seed's docker command signs through the container and its results survive
# a restart (scripts/container-test.sh, several minutes; builds the image first).
image-test: test-deps
	$(call install_missing,$(IMAGE_PACKAGES))
	scripts/container-test.sh $(IMAGE_TEST_ARGS)

# Both compose stacks are valid (Debian's docker-compose v1 validates without an engine).
compose-check:
	$(call install_missing,docker-compose)
	for stack in compose/single.yml compose/scaled.yml; do docker-compose -f $$stack config -q || exit 1; done
	@echo "compose files valid"

clean:
	swift package clean
