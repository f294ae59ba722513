#!/usr/bin/env bash
# The image test (`make image-test`): the Sign'Stash docker command, unchanged, signs through the
# container and its results survive a restart on the same volume.
#   1. builds the image (`make image`; --reuse keeps an existing one);
#   2. prepares a work folder: client-services-config.json with two client services, alice (HTTP
#      Basic) and bob (a bearer token), each with a `remote` account at the CSC simulator;
#   3. starts the simulator (signet-csc-sim from the same image) in a container of its own, with
#      alice on an RSA credential and bob on a P-256 one (explicit authorization, raw r||s);
#   4. runs the seed's command line literally (the state volume is new):
#        ENGINE run -d --mount type=volume,source=VOL,target=/tmp --mount type=bind,source=WORK,target=/home
#          -p 8085:8080 --memory=4g IMAGE --server.host.port=127.0.0.1:8085
#          --einvoice-integration-client.service.domain=SIMULATOR_URL
#   5. signs a PAdES batch (alice) and a CAdES batch (bob) through 127.0.0.1:8085 (POST
#      /v1/operations, poll, GET result) and verifies every signature against the simulator's
#      certificates: CAdES with `openssl cms -verify`, PAdES with pyHanko (.venv, `make test-deps`);
#   6. stops the container (it must exit 0), removes it, runs the same command again on the same
#      volume, reads both results again (byte for byte the same) and signs once more;
#   7. removes everything it started (trap), and prints a PASS/FAIL summary with timings.
# Options: --reuse (do not rebuild an existing image), --keep (keep the run folder).
# Environment: IMAGE (default signet:latest), ENGINE (default: docker when its engine answers, else
# podman; podman runs with `--runtime runc` when runc is installed), PORT (default 8085).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-signet:latest}
PORT=${PORT:-8085}
reuse=false keep=false
for argument in "$@"; do
    case $argument in
        --reuse) reuse=true ;;
        --keep) keep=true ;;
        *) echo "usage: $0 [--reuse] [--keep]" >&2; exit 2 ;;
    esac
done
if [[ -z ${ENGINE:-} ]]; then
    if command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi
fi
engine=("$ENGINE")
[[ $ENGINE == podman ]] && command -v runc >/dev/null && engine+=(--runtime runc)
PYHANKO=${PYHANKO:-.venv/bin/pyhanko}
for tool in "$ENGINE" python3 openssl "$PYHANKO"; do
    command -v "$tool" >/dev/null || { echo "container-test: $tool is missing (make test-deps)" >&2; exit 2; }
done

tag=$(date +%Y%m%d%H%M%S)-$$
run=$(mktemp -d "/tmp/signet-image-test.XXXXXX")
volume=signet-image-test-$tag
gateway="" simulator="" started=$SECONDS
results=() failed=0

say() { printf '[%4ds] %s\n' $((SECONDS - started)) "$*"; }
pass() { results+=("PASS  $*"); say "PASS $*"; }
fail() { results+=("FAIL  $*"); say "FAIL $*"; failed=$((failed + 1)); }

summary() {
    echo
    echo "Signet image test: $IMAGE ($ENGINE), $((SECONDS - started))s in all"
    echo "  image build: ${build_seconds:-not done}, size ${image_mb:-?} MB"
    echo "  resident memory after signing: ${memory_used:-not measured}"
    local line
    for line in "${results[@]}"; do echo "  $line"; done
    if ((failed == 0 && $1 == 0)); then
        echo "PASS: ${#results[@]} checks passed"
    else
        echo "FAIL: $failed of ${#results[@]} checks failed$( (($1 != 0 && failed == 0)) && echo ", the test stopped early (status $1)")"
    fi
}

cleanup() {
    local status=$?
    set +e
    ((failed > 0 && status == 0)) && status=1
    for container in $gateway $simulator; do
        "${engine[@]}" logs "$container" >"$run/logs-$container.txt" 2>&1
        "${engine[@]}" rm -f -v "$container" >/dev/null 2>&1
    done
    "${engine[@]}" volume rm -f "$volume" >/dev/null 2>&1
    summary "$status"
    if ((status == 0)) && ! $keep; then
        # Files the containers wrote belong to uid 10001; removing them needs no more than root or unshare.
        rm -rf "$run" 2>/dev/null || { [[ $ENGINE == podman ]] && podman unshare rm -rf "$run"; }
    else
        echo "run folder kept: $run (container logs in logs-*.txt)"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Files the container user (uid 10001) must read or write.
give_to_container_user() {
    if [[ $(id -u) == 0 ]]; then
        chown -R 10001:10001 "$@"
    elif [[ $ENGINE == podman ]]; then
        podman unshare chown -R 10001:10001 "$@"
    else
        chmod -R a+rwX "$@"
    fi
}

# Waits up to $2 seconds for `curl`-less GET $1 to answer 200.
wait_http() {
    python3 - "$1" "$2" <<'PY'
import sys, time, urllib.request
url, limit = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.25)
sys.exit(1)
PY
}

# ---- 1. the image
image_exists() {
    if [[ $ENGINE == podman ]]; then podman image exists "$IMAGE"; else "$ENGINE" image inspect "$IMAGE" >/dev/null 2>&1; fi
}
if $reuse && image_exists; then
    say "reusing $IMAGE"
    build_seconds="reused"
else
    say "building $IMAGE with $ENGINE"
    build_start=$SECONDS
    make --no-print-directory image IMAGE="$IMAGE" CONTAINER_ENGINE="$ENGINE"
    build_seconds="$((SECONDS - build_start))s"
    pass "image built in $build_seconds"
fi
image_mb=$(($("${engine[@]}" image inspect --format '{{.Size}}' "$IMAGE") / 1000000))
say "image $IMAGE: $image_mb MB"
if "${engine[@]}" run --rm --no-healthcheck "$IMAGE" --help | grep -q -- '--signer-curve-key'; then
    pass "the image's gateway answers --help"
else
    fail "the image's gateway answers --help"
fi

# ---- 2. the work folder and the simulator's configuration
mkdir -p "$run/work" "$run/sim" "$run/check"
sim_secret_alice=$(openssl rand -hex 16) sim_secret_bob=$(openssl rand -hex 16)
secret_alice=$(openssl rand -hex 16) secret_bob=$(openssl rand -hex 16)
cat >"$run/sim/sim.json" <<EOF
{ "clients": {
    "alice-tsp": { "secret": "$sim_secret_alice",
                   "credentials": [ { "id": "alice-rsa", "key": "rsa", "multisign": 100 } ] },
    "bob-tsp":   { "secret": "$sim_secret_bob",
                   "credentials": [ { "id": "bob-ec", "key": "p256", "authMode": "explicit", "multisign": 20,
                                      "ecdsaSignature": "raw" } ] } } }
EOF
cat >"$run/work/client-services-config.json" <<EOF
{
  "alice": { "secret": "$secret_alice",
             "remote": { "clientId": "alice-tsp", "clientSecret": "$sim_secret_alice", "credentialID": "alice-rsa" } },
  "bob":   { "secret": "$secret_bob",
             "remote": { "clientId": "bob-tsp", "clientSecret": "$sim_secret_bob", "credentialID": "bob-ec" } }
}
EOF
chmod 600 "$run/work/client-services-config.json" "$run/sim/sim.json"
give_to_container_user "$run/work" "$run/sim"

# ---- 3. the CSC simulator
simulator=$("${engine[@]}" run -d --no-healthcheck --mount "type=bind,source=$run/sim,target=/sim" "$IMAGE" \
    signet-csc-sim --config /sim/sim.json --host 0.0.0.0 --port 9443 --export-dir /sim/certs --log /sim/requests.jsonl)
simulator=${simulator:0:12}
sim_ip=$("${engine[@]}" inspect --format '{{.NetworkSettings.IPAddress}}' "$simulator")
for _ in $(seq 1 120); do
    [[ -f $run/sim/certs/ca.pem ]] && "${engine[@]}" logs "$simulator" 2>/dev/null | grep -q 'listening on' && break
    sleep 0.25
done
if [[ -f $run/sim/certs/ca.pem && -n $sim_ip ]]; then
    pass "CSC simulator up at http://$sim_ip:9443/ (container $simulator)"
else
    fail "CSC simulator did not start"
    exit 1
fi
sim_url="http://$sim_ip:9443/"

# ---- 4. the seed's command line
if python3 -c 'import socket,sys; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1])))' "$PORT" 2>/dev/null; then :; else
    fail "port $PORT is taken on this machine"
    exit 1
fi
seed_command=("${engine[@]}" run -d --mount "type=volume,source=$volume,target=/tmp"
    --mount "type=bind,source=$run/work,target=/home" -p "$PORT:8080" --memory=4g "$IMAGE"
    "--server.host.port=127.0.0.1:$PORT" "--einvoice-integration-client.service.domain=$sim_url")
start_gateway() { # $1: which start
    say "${seed_command[*]}"
    local begin=$SECONDS
    gateway=$("${seed_command[@]}")
    gateway=${gateway:0:12}
    if wait_http "http://127.0.0.1:$PORT/health/ready" 120; then
        ready_seconds=$((SECONDS - begin))
        pass "$1: /health/ready 200 through 127.0.0.1:$PORT after ${ready_seconds}s (container $gateway)"
    else
        fail "$1: the gateway was not ready within 120 s"
        "${engine[@]}" logs "$gateway" 2>&1 | tail -30
        exit 1
    fi
    local logs
    logs=$("${engine[@]}" logs "$gateway" 2>&1)
    if grep -q '^Signet ready: ' <<<"$logs"; then pass "$1: ready line printed"; else fail "$1: no ready line"; fi
    local sizing
    sizing=$(grep -m1 '^signet-entrypoint: ' <<<"$logs" || true)
    say "${sizing:-no sizing line}"
    if [[ $sizing =~ memory\ limit\ 4096\ MiB:\ local\ signers\ [1-9] ]]; then
        pass "$1: signers sized from the cgroup limits (${sizing#signet-entrypoint: })"
    else
        fail "$1: the entrypoint did not size the signers from --memory=4g: ${sizing:-nothing}"
    fi
}

# The client: signs, verifies and reads results again (Python standard library, openssl, pyHanko).
cat >"$run/client.py" <<'PY'
import base64, hashlib, json, os, subprocess, sys, time, urllib.error, urllib.request, uuid

base, run, phase = sys.argv[1], sys.argv[2], sys.argv[3]
secrets = json.load(open(os.path.join(run, "secrets.json")))
certs = os.path.join(run, "sim", "certs")
check = os.path.join(run, "check")
failures = []

def call(method, path, auth, body=None, headers=None, form=None):
    data = None
    request_headers = {"Authorization": auth}
    if body is not None:
        data = json.dumps(body).encode()
        request_headers["Content-Type"] = "application/json"
    if form is not None:
        data = form.encode()
        request_headers["Content-Type"] = "application/x-www-form-urlencoded"
    request_headers.update(headers or {})
    request = urllib.request.Request(base + path, data=data, method=method, headers=request_headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()

def basic(client):
    return "Basic " + base64.b64encode(f"{client}:{secrets[client]}".encode()).decode()

def bearer(client):
    status, _, body = call("POST", "/oauth/token", basic(client), form="grant_type=client_credentials")
    assert status == 200, f"token for {client}: {status} {body[:200]!r}"
    return "Bearer " + json.loads(body)["access_token"]

def pdf(text):
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    stream = b"BT /F1 18 Tf 72 770 Td (" + text.encode() + b") Tj ET"
    objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)

def leaf_pem(credential):
    chain = open(os.path.join(certs, credential + ".pem")).read()
    end = "-----END CERTIFICATE-----"
    path = os.path.join(check, credential + "-leaf.pem")
    open(path, "w").write(chain[: chain.index(end) + len(end)] + "\n")
    return path

def verify(kind, original, signed, credential, name):
    """The signature verifies with the credential's own certificate, chained to the simulator's CA."""
    leaf, ca = leaf_pem(credential), os.path.join(certs, "ca.pem")
    if kind == "CAdES":
        open(os.path.join(check, "content.bin"), "wb").write(original)
        open(os.path.join(check, "sig.p7s"), "wb").write(signed)
        result = subprocess.run(
            ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", os.path.join(check, "sig.p7s"),
             "-content", os.path.join(check, "content.bin"), "-nointern", "-certfile", leaf, "-CAfile", ca,
             "-purpose", "any", "-out", "/dev/null"], capture_output=True, text=True)
        ok = result.returncode == 0
        detail = result.stderr.strip()
    else:
        path = os.path.join(check, name)
        open(path, "wb").write(signed)
        result = subprocess.run(
            [os.environ["PYHANKO"], "sign", "validate", "--no-revocation-check", "--trust", ca, "--trust-replace",
             path], capture_output=True, text=True)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        ok = (result.returncode == 0 and len(lines) == 1 and ":INTACT:TRUSTED" in lines[0]
              and signed.startswith(original))
        detail = (result.stdout + result.stderr).strip()[-400:]
    if not ok:
        failures.append(f"{name}: {kind} signature does not verify: {detail}")
    return ok

def wait_final(op, auth, limit=180):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status, _, body = call("GET", f"/v1/operations/{op}", auth)
        assert status == 200, f"status of {op}: {status} {body[:200]!r}"
        state = json.loads(body)
        if state["status"] != "PENDING_EXECUTION":
            return state
        time.sleep(0.2)
    raise AssertionError(f"{op} not final after {limit} s")

def result(op, auth):
    status, _, body = call("GET", f"/v1/operations/{op}/result", auth)
    assert status == 200, f"result of {op}: {status} {body[:200]!r}"
    return json.loads(body)

def sign_batch(client, auth, kind, documents, credential):
    reference = f"image-test-{client}-{kind}-{uuid.uuid4()}"
    body = {"externalReference": reference, "description": "signet image test", "documents": [
        {"documentRequest": {"externalReference": name, "name": name, "contentType": content_type,
                             "base64Content": base64.b64encode(content).decode()},
         "signatureInfo": {"signatureType": kind}} for name, content_type, content in documents]}
    begin = time.monotonic()
    status, headers, answer = call("POST", "/v1/operations", auth, body=body)
    assert status == 202, f"{client} {kind}: POST /v1/operations answered {status} {answer[:300]!r}"
    op = json.loads(answer)["id"]
    location = headers.get("Location", "")
    if location != f"{base}/v1/operations/{op}":
        failures.append(f"Location {location!r} is not on the advertised --server.host.port ({base})")
    state = wait_final(op, auth)
    got = result(op, auth)
    seconds = time.monotonic() - begin
    verified = 0
    digests = {}
    for (name, _, content), entry in zip(documents, got["documentList"]):
        if entry.get("signStatus") != "SIGNED":
            failures.append(f"{name}: {entry.get('signStatus')} {entry.get('signError')} {entry.get('signErrorMessage')}")
            continue
        signed = base64.b64decode(entry["signedContent"])
        digests[name] = hashlib.sha256(signed).hexdigest()
        verified += verify(kind, content, signed, credential, name)
    if len(got["documentList"]) != len(documents) or state["status"] != "EXECUTED":
        failures.append(f"{op}: {state['status']} with {len(got['documentList'])} of {len(documents)} documents")
    print(f"  {client}: {kind} operation {op}: {state['status']}, {verified}/{len(documents)} signatures verified, "
          f"{seconds:.2f}s from POST to result")
    return op, digests, verified

if phase == "sign":
    alice, bob = basic("alice"), bearer("bob")
    pdfs = [(f"invoice-{n}.pdf", "application/pdf", pdf(f"Invoice {n} {uuid.uuid4()}")) for n in range(5)]
    blobs = [(f"blob-{n}.bin", "application/octet-stream", os.urandom(4096 + 1000 * n)) for n in range(5)]
    record = {}
    for client, auth, kind, documents, credential in [
            ("alice", alice, "PAdES", pdfs, "alice-rsa"), ("bob", bob, "CAdES", blobs, "bob-ec")]:
        op, digests, verified = sign_batch(client, auth, kind, documents, credential)
        record[client] = {"operation": op, "digests": digests, "verified": verified, "count": len(documents)}
    json.dump(record, open(os.path.join(run, "record.json"), "w"))
elif phase == "reread":
    record = json.load(open(os.path.join(run, "record.json")))
    for client, auth in [("alice", basic("alice")), ("bob", bearer("bob"))]:
        op = record[client]["operation"]
        got = result(op, auth)
        again = {entry["externalReference"]: hashlib.sha256(base64.b64decode(entry["signedContent"])).hexdigest()
                 for entry in got["documentList"] if entry.get("signedContent")}
        same = again == record[client]["digests"] and len(again) == record[client]["count"]
        print(f"  {client}: operation {op} after the restart: {got['status']}, "
              f"{len(again)} signed documents, {'identical' if same else 'DIFFERENT'} to before")
        if not same or got["status"] != "EXECUTED":
            failures.append(f"{client}: the result of {op} changed or vanished across the restart")
        status, _, _ = call("GET", f"/v1/operations/{op}", basic("bob" if client == "alice" else "alice"))
        if status != 404:
            failures.append(f"{op} of {client} is visible to the other client ({status})")
    # New work after the restart: one more CAdES batch for alice (RSA) and a PAdES one for bob (P-256).
    sign_batch("alice", basic("alice"), "CAdES", [("late.bin", "application/octet-stream", os.urandom(2048))], "alice-rsa")
    sign_batch("bob", bearer("bob"), "PAdES", [("late.pdf", "application/pdf", pdf("late"))], "bob-ec")
for failure in failures:
    print("  problem: " + failure)
sys.exit(1 if failures else 0)
PY
printf '{"alice": "%s", "bob": "%s"}\n' "$secret_alice" "$secret_bob" >"$run/secrets.json"
chmod 600 "$run/secrets.json"

start_gateway "first start"

# ---- 5. sign and verify
sign_start=$SECONDS
if PYHANKO=$PYHANKO python3 "$run/client.py" "http://127.0.0.1:$PORT" "$run" sign; then
    pass "PAdES (alice, RSA, HTTP Basic) and CAdES (bob, P-256, bearer token) batches signed and verified in $((SECONDS - sign_start))s"
else
    fail "signing through the container"
fi
# Only digests left for the simulator: every signHash call carries 32-byte hashes, small requests.
if python3 - "$run/sim/requests.jsonl" <<'PY'
import json, sys
calls = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
signs = [c for c in calls if c.get("path", "").endswith("signatures/signHash")]
ok = signs and all(set(c.get("hashLengths", [0])) == {32} and c["requestBytes"] <= 1024 + 64 * c["hashes"] for c in signs)
ok = ok and max(c.get("requestBytes", 0) for c in calls) < 8192
print(f"  simulator: {len(calls)} requests, {len(signs)} signHash calls with {sum(c['hashes'] for c in signs)} hashes, "
      f"largest request {max(c.get('requestBytes', 0) for c in calls)} bytes")
sys.exit(0 if ok else 1)
PY
then
    pass "only 32-byte digests reached the remote service"
else
    fail "the simulator's request log shows more than digests"
fi
# shellcheck disable=SC2016 # expanded by the container's bash
processes=$("${engine[@]}" exec "$gateway" bash -c 'for status in /proc/[0-9]*/status; do
    awk "/^Name:/ {n=\$2} /^VmRSS:/ {printf \"%s %d MiB, \", n, \$2 / 1024}" "$status"; done' 2>/dev/null || true)
memory_used=${processes%, }
say "resident memory by process: ${memory_used:-not measured}"
state_files=$("${engine[@]}" run --rm --no-healthcheck --mount "type=volume,source=$volume,target=/tmp" "$IMAGE" \
    ls /tmp/signet 2>/dev/null | tr '\n' ' ')
if [[ $state_files == *operations.sqlite* && $state_files == *spool* ]]; then
    pass "the state is on the volume (/tmp/signet: $state_files)"
else
    fail "no state on the volume: $state_files"
fi

# ---- signer sizing from other limits (no port, a volume of their own; the local development key)
size_check() { # expected sizing text, then engine run options, then -- and gateway flags
    local expected=$1 options=() flags=() container line
    shift
    while (($#)) && [[ $1 != -- ]]; do options+=("$1"); shift; done
    (($#)) && shift
    flags=("$@")
    container=$("${engine[@]}" run -d --no-healthcheck "${options[@]}" \
        --mount "type=bind,source=$run/work,target=/home" "$IMAGE" "${flags[@]}")
    for _ in $(seq 1 60); do
        "${engine[@]}" exec "$container" signet-healthcheck >/dev/null 2>&1 && break
        sleep 0.5
    done
    line=$("${engine[@]}" logs "$container" 2>&1 | grep -m1 '^signet-entrypoint: ' || true)
    if [[ $line == *"$expected"* ]] && "${engine[@]}" exec "$container" signet-healthcheck >/dev/null 2>&1; then
        pass "${options[*]} ${flags[*]}: ${line#signet-entrypoint: }, ready"
    else
        fail "${options[*]} ${flags[*]}: expected '$expected', got '${line:-nothing}'"
    fi
    "${engine[@]}" rm -f -v "$container" >/dev/null 2>&1
}
size_check "cpus 1, memory limit 768 MiB: local signers 1" --cpus=1 --memory=768m
size_check "cpus 2, memory limit 400 MiB: local signers 1, max bytes in flight 52428800" --cpus=1.5 --memory=400m
size_check "local signers 3 (given)" --cpus=1 -- --local-signers=3

# ---- 6. restart on the same volume
restart_start=$SECONDS
"${engine[@]}" stop --time 30 "$gateway" >/dev/null
exit_code=$("${engine[@]}" inspect --format '{{.State.ExitCode}}' "$gateway")
if [[ $exit_code == 0 ]]; then pass "the gateway stopped on SIGTERM with exit status 0"; else fail "exit status $exit_code on SIGTERM"; fi
"${engine[@]}" logs "$gateway" >"$run/logs-first-start.txt" 2>&1
"${engine[@]}" rm -f "$gateway" >/dev/null
gateway=""
start_gateway "second start, same volume"
if PYHANKO=$PYHANKO python3 "$run/client.py" "http://127.0.0.1:$PORT" "$run" reread; then
    pass "results read again after the restart, identical; new batches signed and verified ($((SECONDS - restart_start))s)"
else
    fail "results after the restart"
fi
if grep -qE 'Fatal error|Program crashed|Segmentation' "$run/logs-first-start.txt" \
    || "${engine[@]}" logs "$gateway" 2>&1 | grep -qE 'Fatal error|Program crashed|Segmentation'; then
    fail "a crash in the gateway's log"
else
    pass "no crash in the gateway's logs"
fi

# ---- 7. the summary: printed by cleanup, which removes everything on exit
