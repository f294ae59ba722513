#!/usr/bin/env python3
"""Signet memory benchmark (issue 7): the gateway's RSS and the state folder's size while it takes
and signs large operations, streamed to disk.

Cases: (a) multipart, 25 x 20 MB PDFs; (b) the same as one JSON request of base64 content;
(c) 2,500 x 200 KB PDFs as JSON. For each: peak RSS of the gateway process (sampled every 20 ms
from /proc, plus VmHWM), peak size of the state folder, time to 202, time to finish, and the peak
RSS while the result (base64 JSON) is downloaded.

Usage: scripts/bench_memory.py [--cases a,b,c] [--signers N]   (release binaries in .build/release)
Prints a table and writes docs/benchmarks-memory-latest.json.
"""
import argparse, base64, http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from bench import sample_pdf, free_port  # noqa: E402

AUTH = "Basic " + base64.b64encode(b"bench:bench-secret").decode()


def rss_kib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def folder_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


class Sampler(threading.Thread):
    """Peak RSS (of the gateway) and peak state-folder size while it runs."""

    def __init__(self, pid, state):
        super().__init__(daemon=True)
        self.pid, self.state = pid, state
        self.peak_rss = 0
        self.peak_disk = 0
        self.running = True
        self.last_disk = 0.0

    def run(self):
        while self.running:
            self.peak_rss = max(self.peak_rss, rss_kib(self.pid))
            now = time.monotonic()
            if now - self.last_disk > 0.2:
                self.last_disk = now
                self.peak_disk = max(self.peak_disk, folder_bytes(self.state))
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.join()


def pieces_json(contents, reference):
    yield json.dumps({"externalReference": reference, "description": "memory bench"})[:-1].encode() + b',"documents":['
    for index, content in enumerate(contents):
        head = json.dumps({"name": f"doc-{index}.pdf", "contentType": "application/pdf"})[:-1]
        yield (b"," if index else b"") + b'{"documentRequest":' + head.encode() + b',"base64Content":"'
        for start in range(0, len(content), 3 * 1024 * 1024):
            yield base64.b64encode(content[start:start + 3 * 1024 * 1024])
        yield b'"},"signatureInfo":{"signatureType":"PAdES"}}'
    yield b"]}"


def pieces_multipart(contents, reference, boundary):
    request = {"externalReference": reference, "description": "memory bench",
               "documents": [{"documentRequest": {"name": f"doc-{i}.pdf", "contentType": "application/pdf"},
                              "signatureInfo": {"signatureType": "PAdES"}} for i in range(len(contents))]}
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"signRequest\"\r\n"
           f"Content-Type: application/json\r\n\r\n").encode() + json.dumps(request).encode() + b"\r\n"
    for index, content in enumerate(contents):
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"doc-{index}.pdf\"\r\n"
               f"Content-Type: application/pdf\r\n\r\n").encode()
        yield content
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def send(port, pieces, content_type):
    """POSTs the pieces with a Content-Length (computed first) without joining them."""
    pieces = list(pieces)
    length = sum(len(p) for p in pieces)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1200)
    connection.putrequest("POST", "/v1/operations")
    connection.putheader("Authorization", AUTH)
    connection.putheader("Content-Type", content_type)
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    for piece in pieces:
        connection.send(piece)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, length


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1200)
    connection.request("GET", path, headers={"Authorization": AUTH})
    response = connection.getresponse()
    size = 0
    while True:
        chunk = response.read(1 << 20)
        if not chunk:
            break
        size += len(chunk)
        last = chunk
    connection.close()
    return response.status, size, (last if size < (1 << 20) else b"")


def run_case(name, port, pid, state, contents, form):
    payload = sum(len(c) for c in contents)
    reference = f"memory-{name}-{time.time()}"
    sampler = Sampler(pid, state)
    sampler.start()
    started = time.perf_counter()
    if form == "multipart":
        boundary = "signet-bench-boundary-7e3a"
        status, body, length = send(port, pieces_multipart(contents, reference, boundary),
                                    f"multipart/form-data; boundary={boundary}")
    else:
        status, body, length = send(port, pieces_json(contents, reference), "application/json")
    accepted = time.perf_counter() - started
    if status not in (200, 202):
        sampler.stop()
        raise SystemExit(f"case {name}: HTTP {status}: {body[:300]!r}")
    operation = json.loads(body)["id"]
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", f"/v1/operations/{operation}", headers={"Authorization": AUTH})
        state_json = json.loads(connection.getresponse().read())
        connection.close()
        if state_json["status"] != "PENDING_EXECUTION":
            break
        time.sleep(0.05)
    finished = time.perf_counter() - started
    sampler.stop()
    signed = state_json["progress"]["signed"]
    download = Sampler(pid, state)
    download.start()
    result_status, result_bytes, _ = get(port, f"/v1/operations/{operation}/result")
    download.stop()
    return {
        "case": name, "form": form, "documents": len(contents), "payload_bytes": payload, "body_bytes": length,
        "signed": signed, "seconds_to_202": round(accepted, 2), "seconds_to_finish": round(finished, 2),
        "peak_rss_mib": round(sampler.peak_rss / 1024, 1),
        "peak_state_folder_mib": round(sampler.peak_disk / 2**20, 1),
        "state_folder_to_payload": round(sampler.peak_disk / payload, 2),
        "result_http_status": result_status, "result_bytes": result_bytes,
        "peak_rss_during_result_mib": round(download.peak_rss / 1024, 1),
    }


def start_gateway(work, signers):
    state = os.path.join(work, "state")
    port, signer_port = free_port(), free_port()
    log = open(os.path.join(work, "gateway.log"), "a")
    gateway = subprocess.Popen([os.path.join(ROOT, ".build/release/signet-gateway"), "--host", "127.0.0.1",
                                "--port", str(port), "--signer-endpoint", f"tcp://127.0.0.1:{signer_port}",
                                "--work-folder", os.path.join(work, "work"), "--state-dir", state,
                                "--local-signers", str(signers), "--log-level", "warning",
                                "--max-request-bytes", str(1 << 30)], stdout=log, stderr=log)
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health/ready")
            ready = connection.getresponse()
            if ready.status == 200 and json.loads(ready.read())["signers"] >= signers:
                return gateway, port, state
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the gateway did not get ready")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="a,b,c")
    parser.add_argument("--signers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    reports = []
    idle = []
    big = None
    for case in args.cases.split(","):
        # A new gateway and state folder per case: each figure is that case's alone.
        work = tempfile.mkdtemp(prefix="signet-membench-")
        os.makedirs(os.path.join(work, "work"))
        with open(os.path.join(work, "work/client-services-config.json"), "w") as f:
            json.dump({"bench": {"secret": "bench-secret"}}, f)
        gateway, port, state = start_gateway(work, args.signers)
        try:
            idle.append(round(rss_kib(gateway.pid) / 1024, 1))
            if case in ("a", "b") and big is None:
                big = [sample_pdf(20_000_000, i) for i in range(25)]
            if case == "a":
                report = run_case("a: 25 x 20 MB multipart", port, gateway.pid, state, big, "multipart")
            elif case == "b":
                report = run_case("b: 25 x 20 MB JSON base64", port, gateway.pid, state, big, "json")
            else:
                small = [sample_pdf(200_000, i) for i in range(2500)]
                report = run_case("c: 2,500 x 200 KB JSON base64", port, gateway.pid, state, small, "json")
            report["vmhwm_mib"] = round(rss_kib(gateway.pid, "VmHWM") / 1024, 1)
            reports.append(report)
            print(json.dumps(report), flush=True)
        finally:
            gateway.terminate()
            gateway.wait(timeout=60)
            shutil.rmtree(work, ignore_errors=True)
    summary = {"gateway_idle_rss_mib": idle, "signers": args.signers, "cases": reports}
    print()
    print(f"{'case':34} {'202 s':>7} {'done s':>7} {'peak RSS MiB':>13} {'VmHWM MiB':>10} {'state/payload':>14} {'RSS result MiB':>15}")
    for r in reports:
        print(f"{r['case']:34} {r['seconds_to_202']:>7} {r['seconds_to_finish']:>7} {r['peak_rss_mib']:>13} "
              f"{r['vmhwm_mib']:>10} {r['state_folder_to_payload']:>14} {r['peak_rss_during_result_mib']:>15}")
    print(f"idle RSS {idle} MiB")
    with open(os.path.join(ROOT, "docs/benchmarks-memory-latest.json"), "w") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
