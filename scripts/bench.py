#!/usr/bin/env python3
"""Signet throughput benchmark, side by side with this machine's limit and pyHanko (issue 12).

For every case of the matrix — key (P-256, RSA-2048) × signature type (PAdES, CAdES) × intake
(base64 JSON, multipart) × document size (200 KB, 2 MB) — it starts a fresh release gateway with
its local signers on loopback, signing with that key, and sends operations whose bodies were
written to files before the clock starts, one `curl -X POST --upload-file FILE` per operation with
`Prefer: wait=600` (the answer comes when every document is signed; curl's own CPU is measured
and reported). Beside Signet's documents/s it reports, measured in the same run:

- the machine's limit for the same key and size on the cores the service uses:
  `1 / (1/signatures_per_s + size/sha256_bytes_per_s)` from `openssl speed -multi N` — one
  signature and one SHA-256 pass over the document, nothing else;
- pyHanko (the version pinned in the Makefile) signing the same documents with the same key and
  certificate in a pool of N processes (PAdES with `sign_pdf`, CAdES with a detached CMS);
- the ratios Signet/limit and Signet/pyHanko;
- per case: CPU seconds of the gateway and its signers per 1,000 documents (/proc/PID/stat) and
  their peak RSS (VmHWM);
- `GET /v1/operations/{id}` latency (p50, p99) with 1 and 4 connections (wrk), beside a
  1-document operation and /health/live, with the service's CPU per request.

Usage: scripts/bench.py [--matrix full|quick] [--bin-dir DIR] [--keys p256,rsa2048]
                        [--types PAdES,CAdES,XAdES] [--intakes json,multipart] [--sizes 200000,2000000]
                        [--documents N] [--rounds R] [--clients K] [--signers N] [--no-pyhanko]
                        [--no-wrk] [--remote-latency-ms MS [--multisign N]]
       scripts/bench.py --markdown work/bench-results.json   (docs/benchmarks.md's tables)
`make bench` runs the full matrix in the project's virtualenv (pyHanko, matplotlib);
BENCH_ARGS passes options. Prints a table, writes work/bench-results.json (--out) and a plot;
the whole full matrix (no selection options) also replaces docs/benchmarks-latest.json and
docs/benchmarks.png, any other run plots to work/bench-results.png. With --remote-latency-ms
the gateway signs through signet-csc-sim (CSC API v2, a P-256 credential, that latency per
signHash call) and the report adds the signHash calls and the latency bound; only the P-256 key
applies then.
Document content and the run's random client secret are never printed.
"""
import argparse, base64, json, os, platform, re, secrets, shutil, signal, socket, statistics, subprocess, sys
import tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_reference import service_cores, machine_rates, limit_for, pyhanko_case, pyhanko_version  # noqa: E402
from bench_report import KEYS, print_table, markdown, plot  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Each matrix: its documents per round are chosen so a round carries about `payload` bytes.
MATRICES = {
    "full": {"payload": 100_000_000, "rounds": 5, "pyhanko_payload": 40_000_000, "wrk_seconds": 10,
             "openssl_seconds": 3},
    "quick": {"payload": 20_000_000, "rounds": 1, "pyhanko_payload": 10_000_000, "wrk_seconds": 3,
              "openssl_seconds": 1},
}


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


def sample_documents(signature_type, size, count):
    if signature_type == "PAdES":
        return [sample_pdf(size, i) for i in range(count)]
    if signature_type == "XAdES":
        return [sample_xml(size, i) for i in range(count)]
    content = os.urandom(size)
    return [content[:-8] + i.to_bytes(8, "big") for i in range(count)]


# ---------------------------------------------------------------------------------------------
# Processes: CPU seconds and peak RSS from /proc


def proc_stat(pid):
    """(ppid, utime+stime, cutime+cstime) in seconds, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    children = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
    return ppid, own, children


def children_of(pid):
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = proc_stat(int(name))
            if stat and stat[0] == pid:
                found.append(int(name))
    return found


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Service:
    """A gateway with its local signers (children), or the gateway alone when they are gone."""

    def __init__(self, process, state):
        self.process, self.state = process, state

    def signers(self):
        return children_of(self.process.pid)

    def cpu_seconds(self):
        """Gateway + live signers + signers that exited and were reaped by the gateway."""
        return sum(self.cpu_split())

    def cpu_split(self):
        """(the gateway's own CPU seconds, its signers': live ones and those it reaped)."""
        stat = proc_stat(self.process.pid)
        gateway, signers = (stat[1], stat[2]) if stat else (0.0, 0.0)
        for pid in self.signers():
            child = proc_stat(pid)
            if child:
                signers += child[1] + child[2]
        return gateway, signers

    def peak_rss_mib(self):
        signers = [status_kib(pid, "VmHWM") for pid in self.signers()]
        return (round(status_kib(self.process.pid, "VmHWM") / 1024, 1),
                round(max(signers) / 1024, 1) if signers else None, len(signers))


# ---------------------------------------------------------------------------------------------
# Signet


class Run:
    """One benchmark run: a temporary folder with the client config, the keys and the bodies."""

    def __init__(self, args):
        self.args = args
        self.folder = tempfile.mkdtemp(prefix="signet-bench-")
        self.work = os.path.join(self.folder, "work")
        os.makedirs(self.work)
        self.secret = secrets.token_hex(16)
        with open(os.path.join(self.work, "client-services-config.json"), "w") as f:
            json.dump({"bench": {"secret": self.secret}}, f)
        os.chmod(os.path.join(self.work, "client-services-config.json"), 0o600)
        self.authorization = "Basic " + base64.b64encode(f"bench:{self.secret}".encode()).decode()
        # curl reads the credentials from a netrc file and wrk from a Lua script: never from argv.
        self.netrc = os.path.join(self.folder, "bench.netrc")
        with open(self.netrc, "w") as f:
            f.write(f"machine 127.0.0.1 login bench password {self.secret}\n")
        os.chmod(self.netrc, 0o600)
        self.keys = {}
        self.simulator = None
        self.remote = []

    def key_files(self, key):
        """A self-signed certificate for a new key of that type (the same files for Signet and pyHanko)."""
        if key not in self.keys:
            folder = os.path.join(self.folder, "keys", key)
            os.makedirs(folder)
            key_file, cert_file = os.path.join(folder, "signing-key.pem"), os.path.join(folder, "signing-cert.pem")
            subprocess.run(["openssl", "req", "-x509", *KEYS[key]["req"], "-nodes", "-keyout", key_file, "-out", cert_file,
                            "-days", "30", "-subj", f"/CN=Signet bench {KEYS[key]['label']}"],
                           check=True, capture_output=True)
            os.chmod(key_file, 0o600)
            self.keys[key] = (key_file, cert_file)
        return self.keys[key]

    def start_simulator(self):
        sim_port = free_port()
        with open(os.path.join(self.folder, "sim.json"), "w") as f:
            json.dump({"clients": {"bench": {"secret": self.secret, "credentials": [
                {"id": "bench-p256", "key": "p256", "multisign": self.args.multisign}]}}}, f)
        self.sim_log = os.path.join(self.folder, "sim-requests.jsonl")
        log = open(os.path.join(self.folder, "sim.log"), "w")
        self.simulator = subprocess.Popen([os.path.join(self.args.bin_dir, "signet-csc-sim"), "--config",
                                           os.path.join(self.folder, "sim.json"), "--port", str(sim_port),
                                           "--latency-ms", str(self.args.remote_latency_ms), "--log", self.sim_log],
                                          stdout=log, stderr=log)
        self.remote = [f"--einvoice-integration-client.service.domain=http://127.0.0.1:{sim_port}/"]

    def sign_hash_calls(self):
        if not self.simulator or not os.path.exists(self.sim_log):
            return 0
        with open(self.sim_log) as f:
            return sum(1 for line in f if json.loads(line).get("path", "").endswith("signHash"))

    def start_gateway(self, key, name):
        """A fresh gateway and state folder, signing with `key`; returns (Service, base URL)."""
        key_file, cert_file = self.key_files(key)
        port, signer_port = free_port(), free_port()
        state = os.path.join(self.folder, f"state-{name}")
        log = open(os.path.join(self.folder, f"gateway-{name}.log"), "w")
        process = subprocess.Popen(
            [os.path.join(self.args.bin_dir, "signet-gateway"), "--host", "127.0.0.1", "--port", str(port),
             "--signer-endpoint", f"tcp://127.0.0.1:{signer_port}", "--work-folder", self.work, "--state-dir", state,
             "--signing-key", key_file, "--signing-cert", cert_file, "--local-signers", str(self.args.signers),
             "--max-wait", "600", "--max-request-bytes", str(4 << 30), "--log-level", "warning"] + self.remote,
            stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit(f"the gateway exited ({process.returncode}); see {log.name}")
            try:
                status, body = call("GET", base + "/health/ready")
                if status == 200 and json.loads(body)["signers"] >= self.args.signers:
                    return Service(process, state), base
            except Exception:
                pass
            time.sleep(0.1)
        raise SystemExit("the gateway did not get ready")

    def stop(self, service):
        service.process.terminate()
        try:
            service.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            service.process.kill(); service.process.wait()
        shutil.rmtree(service.state, ignore_errors=True)

    def close(self):
        if self.simulator:
            self.simulator.terminate(); self.simulator.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def write_json_body(path, reference, signature_type, contents, content_type):
    with open(path, "wb") as f:
        f.write(json.dumps({"externalReference": reference, "description": "bench"})[:-1].encode() + b',"documents":[')
        for index, content in enumerate(contents):
            head = json.dumps({"name": f"doc-{index}", "contentType": content_type})[:-1]
            f.write((b"," if index else b"") + b'{"documentRequest":' + head.encode() + b',"base64Content":"')
            f.write(base64.b64encode(content))
            f.write(b'"},"signatureInfo":{"signatureType":"' + signature_type.encode() + b'"}}')
        f.write(b"]}")
    return "application/json"


def write_multipart_body(path, reference, signature_type, contents, content_type):
    boundary = "signet-bench-" + secrets.token_hex(8)
    request = {"externalReference": reference, "description": "bench",
               "documents": [{"documentRequest": {"name": f"doc-{i}", "contentType": content_type},
                              "signatureInfo": {"signatureType": signature_type}} for i in range(len(contents))]}
    with open(path, "wb") as f:
        f.write((f"--{boundary}\r\nContent-Disposition: form-data; name=\"signRequest\"\r\n"
                 f"Content-Type: application/json\r\n\r\n").encode() + json.dumps(request).encode() + b"\r\n")
        for index, content in enumerate(contents):
            f.write((f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"doc-{index}\"\r\n"
                     f"Content-Type: {content_type}\r\n\r\n").encode())
            f.write(content)
            f.write(b"\r\n")
        f.write(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}"


def start_send(run, base, body_path, content_type):
    """Starts curl POSTing the body file; the answer comes when the whole operation is signed
    (Prefer: wait). `--upload-file` streams the file from the page cache: a fifth of the CPU of
    `--data-binary @file`, which reads the whole body into curl's memory first."""
    return subprocess.Popen(["curl", "-sS", "--netrc-file", run.netrc, "-o", body_path + ".answer",
                             "-w", "%{http_code} %{time_total}", "-H", f"Content-Type: {content_type}",
                             "-H", "Prefer: wait=600", "-H", "Expect:", "-X", "POST", "--upload-file", body_path,
                             base + "/v1/operations"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish_send(run, base, curl, body_path, started):
    """Waits for curl. Returns (curl's time_total, the operation's final answer, curl's CPU seconds)."""
    _, status, usage = os.wait4(curl.pid, 0)
    out, err = curl.stdout.read().decode(), curl.stderr.read().decode()
    curl.returncode = os.waitstatus_to_exitcode(status)
    if curl.returncode != 0:
        raise SystemExit(f"curl failed ({curl.returncode}): {err.strip()}")
    code, seconds = out.split()
    with open(body_path + ".answer", "rb") as f:
        answer = json.loads(f.read())
    os.remove(body_path + ".answer")
    if code == "202":  # not finished within the wait: poll (should not happen with --max-wait 600)
        while answer["status"] == "PENDING_EXECUTION":
            time.sleep(0.01)
            answer = json.loads(call("GET", f"{base}/v1/operations/{answer['id']}", None,
                                     {"Authorization": run.authorization})[1])
        seconds = time.perf_counter() - started
    elif code != "200":
        raise SystemExit(f"POST /v1/operations answered {code}: {answer.get('errorCode')} {answer.get('causeMessage')}")
    return float(seconds), answer, usage.ru_utime + usage.ru_stime


def send(run, base, body_path, content_type):
    started = time.perf_counter()
    return finish_send(run, base, start_send(run, base, body_path, content_type), body_path, started)


def signet_case(run, key, signature_type, intake, size, contents, rounds):
    name = f"{key}-{signature_type}-{intake}-{size}"
    content_type = {"PAdES": "application/pdf", "XAdES": "application/xml"}.get(signature_type, "application/octet-stream")
    writer = write_json_body if intake == "json" else write_multipart_body
    service, base = run.start_gateway(key, name)
    try:
        clients = run.args.clients
        bodies = []  # per round, one body per client: all on disk (and in the page cache) before the clock starts
        for index in range(rounds):
            bodies.append([])
            for client in range(clients):
                path = os.path.join(run.folder, f"body-{index}-{client}")
                body_type = writer(path, f"bench-{name}-{index}-{client}-{secrets.token_hex(4)}", signature_type,
                                   contents, content_type)
                bodies[-1].append((path, body_type, os.path.getsize(path)))
        # An untimed operation first, a few documents per signer: the signers' first jobs, the
        # database's first writes and the first connection are not in the figures.
        warm = os.path.join(run.folder, "body-warm")
        warm_type = writer(warm, f"bench-{name}-warm-{secrets.token_hex(4)}", signature_type,
                           contents[:min(len(contents), 4 * run.args.signers)], content_type)
        send(run, base, warm, warm_type)
        os.remove(warm)
        calls_before = run.sign_hash_calls()
        split_before = service.cpu_split()
        cpu_before = sum(split_before)
        rates, receive_seconds, client_cpu, elapsed = [], [], 0.0, 0.0
        for round_bodies in bodies:
            started = time.perf_counter()
            curls = [start_send(run, base, path, body_type) for path, body_type, _ in round_bodies]
            times, receiving = [], []
            for curl, (path, _, _) in zip(curls, round_bodies):
                seconds, answer, curl_cpu = finish_send(run, base, curl, path, started)
                signed = answer["progress"]["signed"]
                if signed != len(contents):
                    raise SystemExit(f"{name}: {signed} of {len(contents)} signed ({answer['progress']})")
                times.append(seconds)
                # The operation is created once its body is read and validated: what precedes
                # its executionTime is receiving (upload, intake, spool writes).
                receiving.append(max(0.0, seconds - answer["executionTime"] / 1000))
                client_cpu += curl_cpu
                os.remove(path)
            # One client: curl's own time_total (from its connect, the body already read). Several:
            # from before the first curl starts to the last answer.
            seconds = times[0] if clients == 1 else time.perf_counter() - started
            rates.append(len(contents) * clients / seconds)
            receive_seconds.append(round(max(receiving), 3))
            elapsed += seconds
        split = [after - before for after, before in zip(service.cpu_split(), split_before)]
        cpu = sum(split)
        gateway_hwm, signer_hwm, signer_count = service.peak_rss_mib()
        documents = len(contents) * rounds * clients
        report = {"key": key, "type": signature_type, "intake": intake, "size": size, "documents": len(contents),
                  "clients": clients, "rounds": rounds, "body_bytes": bodies[0][0][2],
                  "docs_per_second": [round(r, 1) for r in rates],
                  "median_docs_per_second": round(statistics.median(rates), 1),
                  "best_docs_per_second": round(max(rates), 1),
                  "seconds_per_round": [round(len(contents) * clients / r, 3) for r in rates],
                  "seconds_receiving_per_round": receive_seconds,
                  "service_cpu_seconds_per_1000_docs": round(cpu / documents * 1000, 2),
                  "gateway_cpu_seconds_per_1000_docs": round(split[0] / documents * 1000, 2),
                  "signers_cpu_seconds_per_1000_docs": round(split[1] / documents * 1000, 2),
                  "service_cpu_utilisation": round(cpu / elapsed / service_cores(), 3),
                  "client_cpu_seconds_per_1000_docs": round(client_cpu / documents * 1000, 3),
                  "client_cpu_share_of_one_core": round(client_cpu / elapsed, 3),
                  "gateway_vmhwm_mib": gateway_hwm, "signer_vmhwm_mib": signer_hwm, "signers": signer_count}
        if run.simulator:
            calls = run.sign_hash_calls() - calls_before
            report.update({"remote_latency_ms": run.args.remote_latency_ms, "multisign": run.args.multisign,
                           "signHash_calls": calls,
                           "latency_bound_seconds_per_round": round(
                               -(-len(contents) // run.args.multisign) * run.args.remote_latency_ms / 1000, 3)})
        return report
    finally:
        run.stop(service)


# ---------------------------------------------------------------------------------------------
# Status latency (wrk)


def parse_wrk_duration(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def status_latency(run, key, seconds):
    """p50/p99 of GET /v1/operations/{id} for a finished 50 × 200 KB PAdES operation, with 1 and 4
    connections; beside them, with 1 connection, the same call for a 1-document operation and
    `GET /health/live` (no authentication, no operation): what the 50 documents' answer costs."""
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed (make bench installs it)"}
    service, base = run.start_gateway(key, "status")
    try:
        ids = {}
        for count in (50, 1):
            path = os.path.join(run.folder, f"body-status-{count}")
            body_type = write_json_body(path, f"bench-status-{count}", "PAdES", sample_documents("PAdES", 200_000, count),
                                        "application/pdf")
            ids[count] = send(run, base, path, body_type)[1]["id"]
            os.remove(path)
        script = os.path.join(run.folder, "auth.lua")
        with open(script, "w") as f:
            f.write(f'wrk.headers["Authorization"] = "{run.authorization}"\n')
        report = {"operation_documents": 50, "seconds": seconds}
        for name, connections, url, options in (
                ("connections_1", 1, f"{base}/v1/operations/{ids[50]}", ["-s", script]),
                ("connections_4", 4, f"{base}/v1/operations/{ids[50]}", ["-s", script]),
                ("one_document_connections_1", 1, f"{base}/v1/operations/{ids[1]}", ["-s", script]),
                ("health_live_connections_1", 1, f"{base}/health/live", [])):
            cpu_before = service.cpu_seconds()
            wrk = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *options, url],
                                   stdout=subprocess.PIPE, text=True)
            out = wrk.stdout.read()
            _, _, usage = os.wait4(wrk.pid, 0)
            wrk.returncode = 0
            gateway_cpu = service.cpu_seconds() - cpu_before
            latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
            report[name] = {
                "p50_ms": round(parse_wrk_duration(latency["50"]), 3) if "50" in latency else None,
                "p99_ms": round(parse_wrk_duration(latency["99"]), 3) if "99" in latency else None,
                "requests_per_second": float(rate.group(1)) if rate else None,
                "non_2xx": int(errors.group(1)) if errors else 0,
                # CPU per request, to tell work from waiting: the service's and wrk's own.
                "service_cpu_us_per_request": round(gateway_cpu / (float(rate.group(1)) * seconds) * 1e6, 1) if rate else None,
                "wrk_cpu_share_of_one_core": round((usage.ru_utime + usage.ru_stime) / seconds, 3)}
        return report
    finally:
        run.stop(service)


def machine_description():
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        pass
    release = ""
    try:
        with open("/etc/os-release") as f:
            release = dict(line.rstrip().split("=", 1) for line in f if "=" in line).get("PRETTY_NAME", "").strip('"')
    except OSError:
        pass
    return {"cpu": model, "cores": service_cores(), "os": release, "kernel": platform.release(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()}


def commit_of(root):
    out = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or None



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matrix", choices=sorted(MATRICES), default="full")
    parser.add_argument("--bin-dir", default=os.path.join(ROOT, ".build/release"),
                        help="signet-gateway, signet-signer (and signet-csc-sim) (default: this tree's .build/release)")
    parser.add_argument("--keys", default="p256,rsa2048")
    parser.add_argument("--types", "--type", default="PAdES,CAdES")
    parser.add_argument("--intakes", default="json,multipart")
    parser.add_argument("--sizes", "--size", default="200000,2000000")
    parser.add_argument("--documents", type=int, default=None, help="documents per operation (default: the matrix's payload / size)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--signers", type=int, default=service_cores())
    parser.add_argument("--clients", type=int, default=1,
                        help="operations sent at once per round, each by its own curl (default 1)")
    parser.add_argument("--no-pyhanko", action="store_true")
    parser.add_argument("--no-wrk", action="store_true")
    parser.add_argument("--out", default=os.path.join(ROOT, "work/bench-results.json"))
    parser.add_argument("--plot", default=None,
                        help="default: docs/benchmarks.png for the whole full matrix, else work/bench-results.png; '' for none")
    parser.add_argument("--remote-latency-ms", type=int, default=None)
    parser.add_argument("--multisign", type=int, default=100)
    parser.add_argument("--markdown", metavar="RESULTS_JSON", help="print a results file as docs/benchmarks.md's tables; run nothing")
    args = parser.parse_args()
    if args.markdown:
        with open(args.markdown) as f:
            print(markdown(json.load(f)))
        return
    # Only the whole matrix replaces the figures docs/benchmarks.md shows.
    whole = args.matrix == "full" and args.remote_latency_ms is None and all(
        getattr(args, name) == parser.get_default(name) for name in ("keys", "types", "intakes", "sizes", "documents", "rounds", "clients"))
    if args.plot is None:
        args.plot = os.path.join(ROOT, "docs/benchmarks.png" if whole else "work/bench-results.png")
    if args.signers < 1 or args.clients < 1:
        raise SystemExit("--signers and --clients take 1 or more")
    # SIGTERM unwinds like Ctrl-C, so every gateway this run started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.bin_dir = os.path.abspath(args.bin_dir)
    matrix = MATRICES[args.matrix]
    rounds = args.rounds or matrix["rounds"]
    keys = [k.strip().lower().replace("-", "") for k in args.keys.split(",") if k.strip()]
    types = [{"pades": "PAdES", "cades": "CAdES", "xades": "XAdES"}[t.strip().lower()]
             for t in args.types.split(",") if t.strip()]
    intakes = [i.strip().lower() for i in args.intakes.split(",") if i.strip()]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    for key in keys:
        if key not in KEYS:
            raise SystemExit(f"unknown key type {key}: {', '.join(KEYS)}")
    if not set(intakes) <= {"json", "multipart"}:
        raise SystemExit("--intakes takes json and/or multipart")
    if args.remote_latency_ms is not None and keys != ["p256"]:
        print("remote signing: the simulator's credential is P-256; benchmarking P-256 only", file=sys.stderr)
        keys = ["p256"]
    for binary in ["signet-gateway", "signet-signer"] + (["signet-csc-sim"] if args.remote_latency_ms is not None else []):
        if not os.access(os.path.join(args.bin_dir, binary), os.X_OK):
            raise SystemExit(f"{binary} not found in {args.bin_dir} (make build, or --bin-dir)")
    cores = service_cores()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    if load_at_start[0] > 0.5:
        print(f"note: load average {load_at_start[0]:.2f} at start: figures are taken under load", file=sys.stderr)
    started = time.time()
    run = Run(args)
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "matrix": args.matrix,
              "commit": commit_of(ROOT), "bin_dir": args.bin_dir, "machine": machine_description(),
              "signers": args.signers, "rounds": rounds, "load_at_start": load_at_start,
              "pyhanko": pyhanko_version(), "cases": [], "pyhanko_cases": []}
    try:
        if args.remote_latency_ms is not None:
            run.start_simulator()
        if args.no_pyhanko:
            report["pyhanko_skipped"] = "--no-pyhanko"
        elif report["pyhanko"] is None:
            report["pyhanko_skipped"] = "pyHanko is not installed in this Python (make bench runs in .venv)"
        # Per type and size one set of documents: every key and intake of Signet, then pyHanko on
        # the first of the same documents.
        for signature_type in types:
            for size in sizes:
                count = args.documents or max(10, min(2500, round(matrix["payload"] / size)))
                contents = sample_documents(signature_type, size, count)
                for key in keys:
                    for intake in intakes:
                        case = signet_case(run, key, signature_type, intake, size, contents, rounds)
                        print(json.dumps(case), flush=True)
                        report["cases"].append(case)
                if report.get("pyhanko_skipped") or signature_type == "XAdES":  # pyHanko signs no XML
                    continue
                reference_count = min(count, max(4 * cores, round(matrix["pyhanko_payload"] / size)))
                for key in keys:
                    case = pyhanko_case(run.folder, run.key_files(key), key, signature_type, size, contents[:reference_count], cores)
                    print(json.dumps({"pyhanko": case}), flush=True)
                    report["pyhanko_cases"].append(case)
                del contents
        if not args.no_wrk:
            report["status_latency"] = status_latency(run, "p256" if "p256" in keys else keys[0], matrix["wrk_seconds"])
            print(json.dumps({"status_latency": report["status_latency"]}), flush=True)
        report["openssl"] = machine_rates(cores, matrix["openssl_seconds"])
        report["openssl_seconds"] = matrix["openssl_seconds"]
        for case in report["cases"]:
            limit = limit_for(report["openssl"], case["key"], case["size"])
            case["limit_docs_per_second"] = round(limit, 1) if limit else None
            case["ratio_to_limit"] = round(case["median_docs_per_second"] / limit, 4) if limit else None
            reference = next((p for p in report["pyhanko_cases"] if (p["key"], p["type"], p["size"]) ==
                              (case["key"], case["type"], case["size"])), None)
            case["pyhanko_docs_per_second"] = reference["docs_per_second"] if reference else None
            case["ratio_to_pyhanko"] = round(case["median_docs_per_second"] / reference["docs_per_second"], 2) if reference else None
        order = list(KEYS)
        report["cases"].sort(key=lambda c: (order.index(c["key"]), c["type"] != "PAdES", c["size"], c["intake"]))
        report["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
        report["seconds"] = round(time.time() - started, 1)
    except BaseException:
        kept = os.path.join(ROOT, "work/bench-logs")  # the processes' logs (warnings only), for the failure
        os.makedirs(kept, exist_ok=True)
        for name in os.listdir(run.folder):
            if name.endswith(".log"):
                shutil.copy(os.path.join(run.folder, name), kept)
        print(f"logs kept in {kept}", file=sys.stderr)
        raise
    finally:
        run.close()
    print_table(report)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    print(f"figures: {args.out}  ({report['seconds']} s)")
    if whole:
        shutil.copyfile(args.out, os.path.join(ROOT, "docs/benchmarks-latest.json"))
        print("figures: docs/benchmarks-latest.json (the whole full matrix)")
    if args.plot:
        os.makedirs(os.path.dirname(os.path.abspath(args.plot)), exist_ok=True)
        problem = plot(report, args.plot)
        print(f"plot: {problem}" if problem else f"plot: {args.plot}")


if __name__ == "__main__":
    main()
