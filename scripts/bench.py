#!/usr/bin/env python3
"""Signet throughput benchmark: starts a release gateway with local signers on loopback, signs
batches of ~200 KB documents, and compares with this machine's limit (signature rate and SHA-256
rate of the same key and size, measured with openssl in the same run).

Usage: scripts/bench.py [--documents 500] [--size 200000] [--type CAdES] [--signers N]
                        [--remote-latency-ms MS [--multisign N]]
With --remote-latency-ms the gateway signs through signet-csc-sim (CSC API v2, P-256 credential,
that latency per signHash call) and the report adds the latency bound: calls x latency.
Prints figures and writes docs/benchmarks-latest.json.
"""
import argparse, base64, json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def call(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.status, response.read()

def pdf_from_objects(objects):
    """A classic PDF file: the objects numbered from 1 (the first is the catalog), an xref table, a trailer."""
    out = bytearray(b"%PDF-1.7\n")
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


def sample_pdf(size, index):
    """A one-page PDF of about `size` bytes (an incompressible image stream), unique per index."""
    payload = os.urandom(max(0, size - 1200))
    content = b"q 100 0 0 100 72 600 cm /Im1 Do Q % " + str(index).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height " + str(len(payload) // 3).encode() +
        b" /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length " + str(len(payload)).encode() + b" >>\nstream\n" + payload + b"\nendstream",
    ]
    return pdf_from_objects(objects)

def sample_xml(size, index):
    # A UBL 2.1 invoice of about `size` bytes: a header and as many invoice lines as fit.
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
            'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
            'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
            f'  <cbc:ID>BENCH-{index}</cbc:ID>\n  <cbc:IssueDate>2026-12-01</cbc:IssueDate>\n')
    lines, n = [], 0
    total = len(head) + 12
    while total < size - 200:
        n += 1
        line = (f'  <cac:InvoiceLine><cbc:ID>{n}</cbc:ID><cbc:InvoicedQuantity unitCode="C62">{n % 97}'
                f'</cbc:InvoicedQuantity><cac:Item><cbc:Name>Article {n} &amp; co</cbc:Name></cac:Item>'
                f'<cac:Price><cbc:PriceAmount currencyID="EUR">{n}.50</cbc:PriceAmount></cac:Price></cac:InvoiceLine>\n')
        lines.append(line)
        total += len(line)
    return (head + "".join(lines) + "</Invoice>\n").encode()

def machine_limit(size):
    # ECDSA P-256 signatures per second on all cores, and SHA-256 throughput (bytes/s) on all cores.
    cores = os.cpu_count() or 1
    sig = subprocess.run(["openssl", "speed", "-seconds", "2", "-multi", str(cores), "ecdsap256"], capture_output=True, text=True).stdout
    m = re.search(r"256 bits ecdsa \(nistp256\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", sig)
    sign_rate = float(m.group(1)) if m else None
    sha = subprocess.run(["openssl", "speed", "-seconds", "2", "-multi", str(cores), "-bytes", "16384", "sha256"], capture_output=True, text=True).stdout
    m = re.search(r"sha256\s+([\d.]+)k", sha)
    sha_rate = float(m.group(1)) * 1000 if m else None
    if not sign_rate or not sha_rate:
        return None, sign_rate, sha_rate
    per_document = 1 / sign_rate + size / sha_rate
    return 1 / per_document, sign_rate, sha_rate

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--type", default="CAdES")
    parser.add_argument("--signers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--remote-latency-ms", type=int, default=None)
    parser.add_argument("--multisign", type=int, default=100)
    args = parser.parse_args()

    binary = os.path.join(ROOT, ".build/release/signet-gateway")
    work = tempfile.mkdtemp(prefix="signet-bench-")
    os.makedirs(os.path.join(work, "work"))
    with open(os.path.join(work, "work/client-services-config.json"), "w") as f:
        json.dump({"bench": {"secret": "bench-secret"}}, f)
    port, signer_port = free_port(), free_port()
    log = open(os.path.join(work, "gateway.log"), "w")
    remote, simulator = [], None
    if args.remote_latency_ms is not None:
        sim_port = free_port()
        with open(os.path.join(work, "sim.json"), "w") as f:
            json.dump({"clients": {"bench": {"secret": "bench-secret", "credentials": [
                {"id": "bench-p256", "key": "p256", "multisign": args.multisign}]}}}, f)
        simulator = subprocess.Popen([os.path.join(ROOT, ".build/release/signet-csc-sim"), "--config", os.path.join(work, "sim.json"),
                                      "--port", str(sim_port), "--latency-ms", str(args.remote_latency_ms),
                                      "--log", os.path.join(work, "sim-requests.jsonl")], stdout=log, stderr=log)
        remote = [f"--einvoice-integration-client.service.domain=http://127.0.0.1:{sim_port}/"]
    gateway = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", str(port), "--signer-endpoint", f"tcp://127.0.0.1:{signer_port}",
                                "--work-folder", os.path.join(work, "work"), "--state-dir", os.path.join(work, "state"),
                                "--local-signers", str(args.signers), "--log-level", "warning"] + remote, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Basic " + base64.b64encode(b"bench:bench-secret").decode(), "Content-Type": "application/json"}
    try:
        for _ in range(300):
            try:
                status, body = call("GET", base + "/health/ready")
                if status == 200 and json.loads(body)["signers"] >= args.signers: break
            except Exception: pass
            time.sleep(0.1)
        if args.type.upper() == "PADES":
            contents = [sample_pdf(args.size, i) for i in range(args.documents)]
            content_type = "application/pdf"
        elif args.type.upper() == "XADES":
            contents = [sample_xml(args.size, i) for i in range(args.documents)]
            content_type = "application/xml"
        else:
            content = os.urandom(args.size)
            contents = [content[:-8] + i.to_bytes(8, "big") for i in range(args.documents)]
            content_type = "application/octet-stream"
        documents = [{"documentRequest": {"name": f"doc-{i}", "contentType": content_type,
                                          "base64Content": base64.b64encode(c).decode()},
                      "signatureInfo": {"signatureType": args.type}} for i, c in enumerate(contents)]
        results = []
        accept_times = []
        for index in range(args.rounds):
            body = json.dumps({"externalReference": f"bench-{index}-{time.time()}", "documents": documents}).encode()
            started = time.perf_counter()
            status, answer = call("POST", base + "/v1/operations", body, auth)
            accepted = time.perf_counter() - started
            operation = json.loads(answer)["id"]
            while True:
                status, answer = call("GET", base + f"/v1/operations/{operation}", None, auth)
                if json.loads(answer)["status"] != "PENDING_EXECUTION": break
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            state = json.loads(answer)
            assert state["progress"]["signed"] == args.documents, state["progress"]
            results.append(args.documents / elapsed)
            accept_times.append(accepted)
        limit, sign_rate, sha_rate = machine_limit(args.size)
        best = max(results)
        report = {"documents": args.documents, "size": args.size, "type": args.type, "signers": args.signers,
                  "docs_per_second": [round(r, 1) for r in results], "best_docs_per_second": round(best, 1),
                  "machine_limit_docs_per_second": round(limit, 1) if limit else None,
                  "openssl_p256_signs_per_second": sign_rate, "openssl_sha256_bytes_per_second": sha_rate,
                  "ratio_to_limit": round(best / limit, 3) if limit else None, "input": "base64 JSON",
                  "seconds_to_202": [round(t, 3) for t in accept_times],
                  "seconds_per_round": [round(args.documents / r, 3) for r in results]}
        if simulator:
            calls = [json.loads(line) for line in open(os.path.join(work, "sim-requests.jsonl"))]
            sign_calls = [c for c in calls if c.get("path", "").endswith("signHash")]
            report.update({"remote_latency_ms": args.remote_latency_ms, "multisign": args.multisign,
                           "signHash_calls": len(sign_calls),
                           "latency_bound_seconds_per_round": round(-(-args.documents // args.multisign) * args.remote_latency_ms / 1000, 3)})
        print(json.dumps(report, indent=2))
        with open(os.path.join(ROOT, "docs/benchmarks-latest.json"), "w") as f:
            json.dump(report, f, indent=2)
    finally:
        gateway.terminate(); gateway.wait(timeout=30)
        if simulator: simulator.terminate(); simulator.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()
