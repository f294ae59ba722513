#!/usr/bin/env python3
"""Signet fault harness (issue 7): load against the real binaries while SIGKILLing signers and the
gateway, then reconcile every operation that got a 202.

It starts `signet-gateway` (with its local signers) from --bin-dir, sends operations of
--documents documents each at --rate operations/s from two client services (alice and bob), kills
one local signer every --signer-kill-every seconds and the gateway --gateway-kills times (restarting
it at once with the same command line, state and work folders). A request whose answer was lost is
sent again with the same Idempotency-Key and body until it is acknowledged (202/200) or the retry
window closes. After --duration seconds it waits for every acknowledged operation to finish, fetches
its result and counts:

  lost          acknowledged operations answering 404/410 or never finishing, and documents of
                surviving operations that are missing or not SIGNED
  duplicated    external references that name more than one operation, or another one than acknowledged
  mismatched    documents listed in another order / with another reference or name than sent, or
                whose signature covers another document's content
  cross-client  operations the other client service can see (anything but 404, or found by reference)
  bad signature signed documents whose signature does not verify (openssl cms -verify against the
                development certificate; PAdES: the original is an exact prefix and the CMS covers the
                last /ByteRange)
  crashes       "Fatal error", sanitizer reports, segmentation faults in the gateway's logs, and local
                signers that exited without being killed by the harness

It prints a summary, writes it as JSON (--out) and exits 1 when any counter is above zero, when the
achieved rate is below --min-rate-fraction of the target, or when the gateway could not be
restarted or did not stop cleanly at the end; 2 when the harness itself could not run.

Python 3 standard library and the openssl command only. See docs/operations.md.
"""
import argparse
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

from bench import pdf_from_objects  # scripts/ is on sys.path when a script there runs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENTS = {"alice": "alice-chaos-secret", "bob": "bob-chaos-secret"}
CRASH_PATTERNS = ["Fatal error", "AddressSanitizer", "ThreadSanitizer", "Segmentation", "Program crashed"]
MESSAGE_DIGEST_OID = bytes.fromhex("06092a864886f70d010904")  # 1.2.840.113549.1.9.4


def now():
    return time.monotonic()


def log(message):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# HTTP


class Http:
    """One keep-alive connection to the gateway; reconnects after any failure (the caller retries)."""

    def __init__(self, port, timeout=30.0):
        self.port = port
        self.timeout = timeout
        self.connection = None

    def request(self, method, path, body=None, headers=None, user=None, timeout=None):
        headers = dict(headers or {})
        if user:
            token = base64.b64encode(f"{user}:{CLIENTS[user]}".encode()).decode()
            headers["Authorization"] = "Basic " + token
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or self.timeout)
        else:
            self.connection.timeout = timeout or self.timeout
            if self.connection.sock is not None:
                self.connection.sock.settimeout(timeout or self.timeout)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, data
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:
                pass
            self.connection = None


_local = threading.local()


def thread_http(port):
    if getattr(_local, "http", None) is None:
        _local.http = Http(port)
    return _local.http


# ---------------------------------------------------------------------------------------------
# Documents


def sample_pdf(label, padding):
    """A small one-page PDF, unique by `label` and `padding` random bytes (an image stream)."""
    content = b"BT /F1 12 Tf 72 720 Td (" + label + b") Tj ET q 10 0 0 10 72 600 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> "
        b"/XObject << /Im1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        b"/Length %d >>\nstream\n%s\nendstream" % (len(padding) // 3, len(padding), padding),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_from_objects(objects)


class Document:
    __slots__ = ("name", "reference", "signature_type", "content", "digest")

    def __init__(self, name, reference, signature_type, content):
        self.name = name
        self.reference = reference
        self.signature_type = signature_type
        self.content = content
        self.digest = hashlib.sha256(content).digest()


class Operation:
    """One client request: what was sent and what came back."""

    def __init__(self, client, seq, run_id, documents, pades_share):
        self.client = client
        self.seq = seq
        self.reference = f"chaos-{run_id}-{client}-{seq}"
        self.key = str(uuid.uuid4())
        self.documents = []
        for n in range(documents):
            label = f"signet-chaos {run_id} client={client} op={seq} doc={n}".encode()
            if random.random() < pades_share:
                content = sample_pdf(label, os.urandom(3 * random.randint(100, 1000)))
                document = Document(f"{client}-{seq}-{n}.pdf", f"{self.reference}-d{n}", "PAdES", content)
            else:
                content = label + b"\n" + os.urandom(random.randint(200, 4000))
                document = Document(f"{client}-{seq}-{n}.bin", f"{self.reference}-d{n}", "CAdES", content)
            self.documents.append(document)
        self.body = json.dumps({
            "externalReference": self.reference,
            "description": f"chaos run {run_id}",
            "documents": [{
                "documentRequest": {
                    "externalReference": d.reference, "name": d.name,
                    "contentType": "application/pdf" if d.signature_type == "PAdES" else "application/octet-stream",
                    "base64Content": base64.b64encode(d.content).decode()},
                "signatureInfo": {"signatureType": d.signature_type, "reason": "chaos", "location": "loopback"},
            } for d in self.documents],
        }).encode()
        self.id = None          # the acknowledged operation id
        self.ack_status = None  # 202 or 200
        self.ack_time = None    # seconds since the start of the load
        self.ack_generation = None
        self.attempts = 0
        self.rejected = None    # (status, body) when a 4xx other than 408/429 ended the request
        self.first_sent = None


# ---------------------------------------------------------------------------------------------
# Processes


def proc_stat(pid):
    """(state, ppid) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rfind(")") + 2:].split()
    return rest[0], int(rest[1])


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid):
    stat = proc_stat(pid)
    return stat is not None and stat[0] != "Z"


def signer_children(gateway_pid):
    """Pids of the live signet-signer processes whose parent is `gateway_pid`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = proc_stat(int(entry))
        if stat and stat[1] == gateway_pid and stat[0] != "Z" and "signet-signer" in proc_cmdline(int(entry)):
            pids.append(int(entry))
    return pids


class Gateway:
    """The gateway process, started (and restarted) with one fixed command line."""

    def __init__(self, args, run_dir):
        self.bin_dir = os.path.abspath(args.bin_dir)
        self.port = free_port()
        self.signer_port = free_port()
        self.run_dir = run_dir
        self.work = os.path.join(run_dir, "work")
        self.state = os.path.join(run_dir, "state")
        os.makedirs(self.work, exist_ok=True)
        with open(os.path.join(self.work, "client-services-config.json"), "w") as f:
            json.dump({name: {"secret": secret} for name, secret in CLIENTS.items()}, f)
        os.chmod(os.path.join(self.work, "client-services-config.json"), 0o600)
        self.signers = args.signers
        self.argv = [
            os.path.join(self.bin_dir, "signet-gateway"),
            "--host", "127.0.0.1", "--port", str(self.port), f"--server.host.port=127.0.0.1:{self.port}",
            "--signer-endpoint", f"tcp://127.0.0.1:{self.signer_port}",
            "--work-folder", self.work, "--state-dir", self.state,
            "--local-signers", str(args.signers),
        ] + list(args.gateway_arg or [])
        self.process = None
        self.generation = 0
        self.logs = []
        self.lock = threading.Lock()
        self.http = Http(self.port, timeout=5)
        self.http_lock = threading.Lock()

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def start(self):
        with self.lock:
            self.generation += 1
            path = os.path.join(self.run_dir, f"gateway-{self.generation}.log")
            self.logs.append(path)
            with open(path, "ab") as out:
                self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            return self.generation

    def ready(self):
        """The parsed /health/ready answer when it says 200, else None."""
        try:
            with self.http_lock:
                status, body = self.http.request("GET", "/health/ready", timeout=2)
        except Exception:
            return None
        if status != 200:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

    def wait_ready(self, signers=1, timeout=60.0):
        deadline = now() + timeout
        while now() < deadline:
            if self.process.poll() is not None:
                return False
            state = self.ready()
            if state and state.get("signers", 0) >= signers:
                return True
            time.sleep(0.05)
        return False

    def kill(self):
        """SIGKILL; returns the signer pids that were its children just before."""
        with self.lock:
            children = signer_children(self.process.pid)
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            return children

    def stop(self, grace=30.0):
        """SIGTERM and wait; returns the exit code (None if it had to be killed)."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


# ---------------------------------------------------------------------------------------------
# The run


class Run:
    def __init__(self, args):
        self.args = args
        self.run_id = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.run_dir = os.path.abspath(args.run_dir or tempfile.mkdtemp(prefix="signet-chaos-"))
        os.makedirs(self.run_dir, exist_ok=True)
        self.gateway = Gateway(args, self.run_dir)
        self.operations = []
        self.operations_lock = threading.Lock()
        self.stop_faults = threading.Event()
        self.start_time = None
        self.run_end = None
        self.signer_kills = []          # (t, pid, jobs in flight or None)
        self.signer_kills_skipped = 0
        self.gateway_kills = []         # dicts
        self.gateway_exits = []         # exits the harness did not cause
        self.fault_lock = threading.Lock()
        self.restart_failures = 0
        self.stragglers = 0
        self.straggler_threads = []
        self.killed_pids = set()

    def elapsed(self):
        return now() - self.start_time

    # -- load --------------------------------------------------------------------------------

    def client_worker(self, client, pacer):
        http = Http(self.gateway.port, timeout=self.args.request_timeout)
        while True:
            ticket = pacer.next()
            if ticket is None:
                break
            seq, due = ticket
            delay = self.start_time + due - now()
            if delay > 0:
                time.sleep(delay)
            if now() > self.run_end + self.args.retry_grace:
                break
            operation = Operation(client, seq, self.run_id, self.args.documents, self.args.pades_share)
            with self.operations_lock:
                self.operations.append(operation)
            self.send(http, operation)
        http.close()

    def send(self, http, operation):
        operation.first_sent = self.elapsed()
        pause = 0.1
        headers = {"Content-Type": "application/json", "Idempotency-Key": operation.key}
        while now() < self.run_end + self.args.retry_grace:
            operation.attempts += 1
            try:
                status, body = http.request("POST", "/v1/operations", body=operation.body, headers=headers,
                                            user=operation.client)
            except Exception:
                status, body = None, b""
            if status in (200, 202):
                try:
                    answer = json.loads(body)
                    operation.id = answer["id"]
                except (ValueError, KeyError):
                    operation.rejected = (status, body[:300].decode(errors="replace"))
                    return
                operation.ack_status = status
                operation.ack_time = self.elapsed()
                operation.ack_generation = self.gateway.generation
                return
            if status is not None and 400 <= status < 500 and status not in (408, 429):
                # A well-formed request is never refused; keep the answer for the report.
                operation.rejected = (status, body[:300].decode(errors="replace"))
                return
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    # -- faults ------------------------------------------------------------------------------

    def fault_schedule(self):
        events = []
        every = self.args.signer_kill_every
        if every > 0:
            t = every
            while t < self.args.duration:
                events.append((t, "signer"))
                t += every
        for i in range(self.args.gateway_kills):
            t = self.args.duration * (i + 1) / (self.args.gateway_kills + 1)
            if every > 0 and min(t % every, every - t % every) < 1.0:
                t += every / 2  # not at the same moment as a signer kill
            events.append((min(t, self.args.duration - 1), "gateway"))
        return sorted(events)

    def fault_loop(self):
        for at, kind in self.fault_schedule():
            delay = self.start_time + at - now()
            if delay > 0 and self.stop_faults.wait(delay):
                return
            if kind == "signer":
                self.kill_signer()
            else:
                self.kill_gateway()

    def kill_signer(self):
        """SIGKILL one local signer of the current gateway, preferably one holding jobs: for up to
        --busy-wait seconds /health/ready is polled for a signer with jobs in flight."""
        gateway_pid = self.gateway.pid
        children = set(signer_children(gateway_pid))
        candidates = []
        deadline = now() + self.args.busy_wait
        while True:
            state = self.gateway.ready()
            listed = [(s.get("pid"), s.get("jobsInFlight", 0)) for s in (state or {}).get("signerList", [])]
            listed = [(pid, jobs) for pid, jobs in listed if pid in children]
            busy = [(pid, jobs) for pid, jobs in listed if jobs > 0]
            if busy or now() >= deadline or not state:
                candidates = busy or listed
                break
            time.sleep(0.01)
        if not candidates:
            candidates = [(pid, None) for pid in children]
        if not candidates:
            self.signer_kills_skipped += 1
            log("no signer to kill")
            return
        pid, jobs = random.choice(candidates)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            self.signer_kills_skipped += 1
            return
        self.killed_pids.add(pid)
        self.signer_kills.append((round(self.elapsed(), 2), pid, jobs))
        log(f"SIGKILL signer {pid} (jobs in flight: {jobs if jobs is not None else '?'})")

    def kill_gateway(self):
        with self.fault_lock:
            killed_at = now()
            old_pid = self.gateway.pid
            children = self.gateway.kill()
            event = {"at": round(killed_at - self.start_time, 2), "pid": old_pid, "signers": children}
            log(f"SIGKILL gateway {old_pid} (generation {self.gateway.generation}, signers {children})")
            self.restart(event, killed_at)
            self.gateway_kills.append(event)
        thread = threading.Thread(target=self.reap_stragglers, args=(children, event), daemon=True)
        thread.start()
        self.straggler_threads.append(thread)

    def watch_gateway(self):
        """A gateway that exits without being killed is a crash: it is counted and started again."""
        with self.fault_lock:
            code = self.gateway.process.poll()
            if code is None:
                return
            event = {"at": round(self.elapsed(), 2), "pid": self.gateway.pid, "exit": code}
            log(f"the gateway {self.gateway.pid} exited on its own ({code}); starting it again")
            self.restart(event, now())
            self.gateway_exits.append(event)

    def restart(self, event, since):
        """Starts the gateway again with the same command line until it is ready (5 tries)."""
        for attempt in range(1, 6):
            generation = self.gateway.start()
            if self.gateway.wait_ready(signers=1, timeout=self.args.ready_timeout):
                event["recovery_seconds"] = round(now() - since, 3)
                event["generation"] = generation
                event["restart_attempts"] = attempt
                log(f"gateway generation {generation} ready {event['recovery_seconds']} s later")
                return
            log(f"gateway generation {generation} not ready (exit {self.gateway.process.poll()}); restarting")
            self.restart_failures += 1
            if self.gateway.process.poll() is None:
                self.gateway.kill()
            time.sleep(0.5)
        event["recovery_seconds"] = None

    def reap_stragglers(self, pids, event):
        """Signers of a killed gateway exit on their own (they watch their parent); kill any left."""
        time.sleep(self.args.straggler_wait)
        left = [pid for pid in pids if alive(pid) and "signet-signer" in proc_cmdline(pid)]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        event["stragglers_killed"] = left
        self.stragglers += len(left)
        if left:
            log(f"signers {left} outlived their gateway by {self.args.straggler_wait} s: killed")

    # -- reconcile ---------------------------------------------------------------------------

    def reconcile(self):
        """Every acknowledged operation: final, whole, unique, private, and every signature valid."""
        tally = Tally()
        acked = [op for op in self.operations if op.id]
        log(f"reconciling {len(acked)} acknowledged operations")
        deadline = now() + self.args.finish_timeout
        finished = []
        with concurrent.futures.ThreadPoolExecutor(self.args.http_workers) as pool:
            for op, why in pool.map(lambda op: (op, self.wait_until_final(op, deadline)), acked):
                if why is None:
                    finished.append(op)
                else:
                    tally.add("lost_operations", 1)
                    tally.count_lost_generation(op.ack_generation)
                    tally.add("lost_documents", len(op.documents),
                              {"id": op.id, "reference": op.reference, "client": op.client, "why": why,
                               "acknowledged_at": round(op.ack_time, 2), "generation": op.ack_generation})
        log(f"{len(finished)} finished, {tally.counters['lost_operations']} lost; fetching results and checking")

        to_verify = []
        with concurrent.futures.ThreadPoolExecutor(self.args.http_workers) as pool:
            for signed in pool.map(lambda op: self.check_operation(op, tally), finished):
                to_verify.extend(signed)
        log(f"verifying {len(to_verify)} signatures with openssl")
        self.verify_signatures(to_verify, tally)

        # Requests never acknowledged: did the gateway create them anyway? (Informational.)
        unacked = [op for op in self.operations if not op.id and not op.rejected]
        http = thread_http(self.gateway.port)
        created = sum(1 for op in unacked if self.lookup(http, op, op.client)[1])
        return tally, len(unacked), created

    def wait_until_final(self, op, deadline):
        """None once the operation is final; else why it is lost."""
        http = thread_http(self.gateway.port)
        while now() < deadline:
            try:
                status, body = http.request("GET", f"/v1/operations/{op.id}", user=op.client)
            except Exception:
                time.sleep(0.2)
                continue
            if status in (404, 410):
                return f"HTTP {status}"
            if status == 200 and json.loads(body).get("status") != "PENDING_EXECUTION":
                return None
            time.sleep(0.2)
        return f"not final after {self.args.finish_timeout} s"

    def lookup(self, http, op, user):
        """(status, ids) of `GET /v1/operations?externalReference=` as `user`; ids None if not a list."""
        status, found = get_json(http, "/v1/operations?externalReference=" + urllib.parse.quote(op.reference), user)
        return status, [o.get("id") for o in found] if status == 200 and isinstance(found, list) else None

    def check_operation(self, op, tally):
        """Checks a final operation's result, uniqueness and privacy; returns its signed documents
        as (op, index, sent document, signed bytes) for verification."""
        http = thread_http(self.gateway.port)
        where = {"id": op.id, "reference": op.reference}
        signed = []
        status, answer = get_json(http, f"/v1/operations/{op.id}/result", op.client)
        if status != 200 or not isinstance(answer, dict):
            tally.add("lost_documents", len(op.documents), {**where, "why": f"result answered HTTP {status}"})
        elif answer.get("id") != op.id or answer.get("externalReference") != op.reference:
            tally.add("mismatched", len(op.documents),
                      {**where, "why": f"result names {answer.get('id')} / {answer.get('externalReference')}"})
        else:
            listed = answer.get("documentList") or []
            if len(listed) != len(op.documents):
                tally.add("mismatched", abs(len(listed) - len(op.documents)),
                          {**where, "why": f"{len(listed)} documents listed, {len(op.documents)} sent"})
            for n, (entry, sent) in enumerate(zip(listed, op.documents)):
                if entry.get("externalReference") != sent.reference or entry.get("name") != sent.name:
                    tally.add("mismatched", 1, {**where, "document": n, "why": f"listed as {entry.get('name')} / "
                                                                              f"{entry.get('externalReference')}"})
                elif entry.get("signStatus") != "SIGNED":
                    code = f"{entry.get('signStatus')} {entry.get('signError')}"
                    tally.add("lost_documents", 1, {**where, "document": n,
                                                    "why": f"{code}: {entry.get('signErrorMessage')}"})
                    tally.count_unsigned(code)
                else:
                    if (entry.get("attempts") or 1) > 1:
                        tally.add("signed_after_redispatch", 1)
                    try:
                        content = base64.b64decode(entry.get("signedContent") or "", validate=True)
                    except ValueError:
                        content = b""
                    signed.append((op, n, sent, content))
        # One operation per external reference: the acknowledged one.
        status, ids = self.lookup(http, op, op.client)
        if ids is None:
            tally.add("duplicated", 1, {**where, "why": f"lookup by reference answered HTTP {status}"})
        elif len(ids) > 1 or (ids and ids[0] != op.id):
            tally.add("duplicated", 1, {**where, "why": f"the reference names {ids}"})
        # The other client service must not see it.
        other = "bob" if op.client == "alice" else "alice"
        seen = []
        for path in (f"/v1/operations/{op.id}", f"/v1/operations/{op.id}/result"):
            status, _ = get_json(http, path, other)
            if status != 404:
                seen.append(f"{path} answered {status} to {other}")
        status, ids = self.lookup(http, op, other)
        if ids != []:
            seen.append(f"lookup by reference as {other} answered {status} {ids}")
        if seen:
            tally.add("cross_client", 1, {**where, "client": op.client, "why": "; ".join(seen)})
        return signed

    def verify_signatures(self, items, tally):
        digests = {d.digest: (op.reference, n) for op in self.operations for n, d in enumerate(op.documents)}
        certificate = self.certificate()
        scratch = tempfile.mkdtemp(prefix="verify-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)

        def verify(item):
            op, n, sent, signed = item
            ok, why = verify_document(sent, signed, certificate, scratch)
            if ok:
                return op, n, None, None
            covered = signed_digest(signed)
            if covered is not None and covered != sent.digest and covered in digests:
                return op, n, "mismatched", f"the signature covers {digests[covered][0]} document {digests[covered][1]}"
            return op, n, "bad_signatures", why

        try:
            with concurrent.futures.ThreadPoolExecutor(self.args.verify_workers) as pool:
                for op, n, kind, why in pool.map(verify, items):
                    if kind is None:
                        tally.add("verified", 1)
                    else:
                        tally.add(kind, 1, {"id": op.id, "reference": op.reference, "document": n, "why": why})
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def self_check(self):
        """Before the load: one operation signed and checked, and the checks shown to fail on a
        signature of another document, a tampered PDF and another identity (a verifier that
        passes everything would hide every fault)."""
        http = Http(self.gateway.port)
        op = Operation("alice", "selfcheck", self.run_id, 4, 0.0)
        op.documents[2:] = [Document(f"selfcheck-{n}.pdf", f"{op.reference}-d{n}", "PAdES",
                                     sample_pdf(f"self check {n}".encode(), os.urandom(300))) for n in (2, 3)]
        op.body = json.dumps({"externalReference": op.reference, "documents": [{
            "documentRequest": {"externalReference": d.reference, "name": d.name, "contentType": "application/octet-stream",
                                "base64Content": base64.b64encode(d.content).decode()},
            "signatureInfo": {"signatureType": d.signature_type}} for d in op.documents]}).encode()
        status, body = http.request("POST", "/v1/operations", body=op.body, user="alice",
                                    headers={"Content-Type": "application/json", "Prefer": "wait=30"})
        answer = json.loads(body)
        if status != 200 or [d.get("signStatus") for d in answer.get("documentList", [])] != ["SIGNED"] * 4:
            raise SystemExit(f"self check: the gateway did not sign a small operation: {status} {body[:300]!r}")
        status, body = http.request("GET", f"/v1/operations/{answer['id']}/result", user="alice")
        signed = [base64.b64decode(d["signedContent"]) for d in json.loads(body)["documentList"]]
        certificate = self.certificate()
        scratch = tempfile.mkdtemp(prefix="selfcheck-", dir=self.run_dir)
        try:
            for n, document in enumerate(op.documents):
                ok, why = verify_document(document, signed[n], certificate, scratch)
                if not ok:
                    raise SystemExit(f"self check: a good {document.signature_type} signature fails: {why}")
                if signed_digest(signed[n]) != document.digest:
                    raise SystemExit(f"self check: cannot tell which document a {document.signature_type} signature covers")
            tampered = bytearray(signed[2])
            tampered[len(op.documents[2].content) + 5] ^= 0x01  # in the signed update, outside /Contents
            other_key = os.path.join(scratch, "other.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-keyout", os.path.join(scratch, "other-key.pem"), "-out", other_key, "-subj", "/CN=other",
                            "-days", "1"], capture_output=True, check=True)
            must_fail = [
                ("a CAdES signature of another document", op.documents[0], signed[1], certificate),
                ("a PAdES file of another document", op.documents[2], signed[3], certificate),
                ("a tampered PAdES update", op.documents[2], bytes(tampered), certificate),
                ("a CAdES signature checked against another certificate", op.documents[0], signed[0], other_key),
                ("a PAdES signature checked against another certificate", op.documents[2], signed[2], other_key),
            ]
            for what, document, candidate, trusted in must_fail:
                ok, _ = verify_document(document, candidate, trusted, scratch)
                if ok:
                    raise SystemExit(f"self check: the verifier accepts {what}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            http.close()
        log("self check: signatures verify; swapped, tampered and foreign ones are rejected")

    def certificate(self):
        path = self.args.trust or os.path.join(self.gateway.state, "dev-signing-cert.pem")
        if not os.path.exists(path):
            raise SystemExit(f"no certificate to verify signatures against at {path}")
        return path

    # -- logs --------------------------------------------------------------------------------

    def scan_logs(self):
        crashes = []
        unexpected_signer_exits = []
        for path in self.gateway.logs:
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    if any(pattern in line for pattern in CRASH_PATTERNS):
                        crashes.append(f"{os.path.basename(path)}:{number}: {line.strip()[:200]}")
                    if "local signer exited" in line:
                        match = re.search(r"signer\.pid=(\d+)", line)
                        if match and int(match.group(1)) not in self.killed_pids:
                            unexpected_signer_exits.append(f"{os.path.basename(path)}:{number}: {line.strip()[:200]}")
        return crashes, unexpected_signer_exits

    # -- main --------------------------------------------------------------------------------

    def execute(self):
        args = self.args
        for binary in ("signet-gateway", "signet-signer"):
            if not os.access(os.path.join(self.gateway.bin_dir, binary), os.X_OK):
                raise SystemExit(f"{binary} not found in {self.gateway.bin_dir} (build it first)")
        log(f"run folder {self.run_dir}; binaries {self.gateway.bin_dir}")
        self.gateway.start()
        if not self.gateway.wait_ready(signers=args.signers, timeout=args.ready_timeout):
            self.gateway.stop()
            raise SystemExit(f"the gateway did not become ready; log: {self.gateway.logs[-1]}")
        self.self_check()
        log(f"gateway ready on port {self.gateway.port} with {args.signers} signers; "
            f"load {args.rate} operations/s × {args.documents} documents for {args.duration} s")

        self.start_time = now()
        self.run_end = self.start_time + args.duration
        threads = []
        for client in CLIENTS:
            pacer = Pacer(args.rate / len(CLIENTS), args.duration)
            for _ in range(args.threads):
                thread = threading.Thread(target=self.client_worker, args=(client, pacer), daemon=True)
                thread.start()
                threads.append(thread)
        faults = threading.Thread(target=self.fault_loop, daemon=True)
        faults.start()
        progress_at = 10
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            if self.elapsed() >= progress_at and self.elapsed() < args.duration + 1:
                acked = sum(1 for op in list(self.operations) if op.id)
                log(f"{int(self.elapsed())} s: {len(self.operations)} sent, {acked} acknowledged")
                progress_at += 10
            if self.elapsed() >= args.duration:
                self.stop_faults.set()
            self.watch_gateway()
        self.stop_faults.set()
        faults.join()
        for thread in self.straggler_threads:
            thread.join()
        load_seconds = self.elapsed()

        if self.gateway.process.poll() is not None or not self.gateway.wait_ready(signers=1, timeout=args.ready_timeout):
            log("the final gateway is not ready: starting it again")
            self.gateway.start()
            if not self.gateway.wait_ready(signers=1, timeout=args.ready_timeout):
                raise SystemExit(f"the gateway does not start; log: {self.gateway.logs[-1]}")

        tally, unacked, created_unacked = self.reconcile()
        final_signers = signer_children(self.gateway.pid)
        exit_code = self.gateway.stop()
        time.sleep(1.0)
        leftover = [pid for pid in final_signers if alive(pid)]
        for pid in leftover:
            os.kill(pid, signal.SIGKILL)
        summary = self.summarize(tally, unacked, created_unacked, load_seconds, exit_code, leftover)
        out = args.out or os.path.join(self.run_dir, "summary.json")
        with open(out, "w") as f:
            json.dump(summary, f, indent=2)
        if summary["passed"] and not args.keep:
            # The logs and the summary stay; the spool and database of a passing run go.
            for folder in (self.gateway.state, self.gateway.work):
                shutil.rmtree(folder, ignore_errors=True)
        print_summary(summary, out)
        return 0 if summary["passed"] else 1

    def summarize(self, tally, unacked, created_unacked, load_seconds, exit_code, leftover):
        args = self.args
        crashes, unexpected_exits = self.scan_logs()
        acked = [op for op in self.operations if op.id]
        last_ack = max((op.ack_time for op in acked), default=0.0)
        achieved = len(acked) / max(args.duration, last_ack) if acked else 0.0
        rejected = [op for op in self.operations if op.rejected]
        counters = dict(tally.counters)
        verified = counters.pop("verified")
        redispatched = counters.pop("signed_after_redispatch")
        summary = {
            "run_id": self.run_id,
            "run_folder": self.run_dir,
            "gateway_logs": self.gateway.logs,
            "binaries": self.gateway.bin_dir,
            "target": {"duration_s": args.duration, "operations_per_s": args.rate,
                       "documents_per_operation": args.documents, "signer_kill_every_s": args.signer_kill_every,
                       "gateway_kills": args.gateway_kills, "signers": args.signers},
            "operations_sent": len(self.operations),
            "operations_acknowledged": len(acked),
            "acknowledged_200": sum(1 for op in acked if op.ack_status == 200),
            "never_acknowledged": unacked,
            "never_acknowledged_but_created": created_unacked,
            "rejected_requests": len(rejected),
            "retried_requests": sum(1 for op in self.operations if op.attempts > 1),
            "documents_acknowledged": sum(len(op.documents) for op in acked),
            "documents_verified": verified,
            "documents_signed_after_redispatch": redispatched,
            "achieved_operations_per_s": round(achieved, 2),
            "load_seconds": round(load_seconds, 1),
            **counters,
            "crashes": len(crashes) + len(unexpected_exits) + len(self.gateway_exits),
            "gateway_exits_on_its_own": self.gateway_exits,
            "unsigned_documents_by_error": tally.unsigned,
            "signer_kills": len(self.signer_kills),
            "signer_kills_skipped": self.signer_kills_skipped,
            "gateway_kills_done": len(self.gateway_kills),
            "gateway_restart_failures": self.restart_failures,
            "recovery_seconds": [e.get("recovery_seconds") for e in self.gateway_kills],
            "stragglers_killed": self.stragglers,
            "final_gateway_exit": exit_code,
            "final_signers_left_running": leftover,
            "signer_kill_log": self.signer_kills,
            "gateway_kill_log": self.gateway_kills,
            "lost_by_generation": tally.lost_by_generation,
            "problems": {k: v for k, v in tally.examples.items()
                         if k not in ("verified", "lost_operations", "signed_after_redispatch")},
            "crash_lines": crashes[:50],
            "unexpected_signer_exits": unexpected_exits[:50],
            "rejected_examples": [{"reference": op.reference, "status": op.rejected[0], "body": op.rejected[1]}
                                  for op in rejected[:10]],
        }
        failures = [f"{name} = {summary[name]}"
                    for name in ("lost_documents", "duplicated", "mismatched", "cross_client", "bad_signatures",
                                 "crashes", "rejected_requests")
                    if summary[name] > 0]
        if achieved < args.rate * args.min_rate_fraction:
            failures.append(f"achieved {achieved:.1f} operations/s, below {args.min_rate_fraction:.0%} of the "
                            f"target {args.rate}")
        if len(self.gateway_kills) < args.gateway_kills or any(e.get("recovery_seconds") is None
                                                               for e in self.gateway_kills):
            failures.append("the gateway was not killed and restarted as planned")
        if exit_code != 0:
            failures.append(f"the final gateway did not stop cleanly on SIGTERM (exit {exit_code})")
        if leftover:
            failures.append(f"signers {leftover} outlived the final gateway")
        summary["failures"] = failures
        summary["passed"] = not failures
        return summary


class Tally:
    """Counters and up to 50 examples of each problem; thread-safe."""

    KINDS = ("lost_operations", "lost_documents", "duplicated", "mismatched", "cross_client", "bad_signatures",
             "verified", "signed_after_redispatch")

    def __init__(self):
        self.lock = threading.Lock()
        self.counters = {kind: 0 for kind in self.KINDS}
        self.examples = {kind: [] for kind in self.KINDS}
        self.unsigned = {}  # documents of final operations that are not SIGNED, by status and code
        self.lost_by_generation = {}  # lost operations by the gateway generation that acknowledged them

    def add(self, kind, count, example=None):
        with self.lock:
            self.counters[kind] += count
            if example is not None and len(self.examples[kind]) < 50:
                self.examples[kind].append(example)

    def count_lost_generation(self, generation):
        with self.lock:
            self.lost_by_generation[str(generation)] = self.lost_by_generation.get(str(generation), 0) + 1

    def count_unsigned(self, code):
        with self.lock:
            self.unsigned[code] = self.unsigned.get(code, 0) + 1


class Pacer:
    """Hands out operation numbers and their due times (open loop: a slow answer does not slow the
    schedule; workers that fall behind catch up)."""

    def __init__(self, rate, duration):
        self.interval = 1.0 / rate
        self.duration = duration
        self.next_seq = 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            due = self.next_seq * self.interval
            if due >= self.duration:
                return None
            seq = self.next_seq
            self.next_seq += 1
            return seq, due


def get_json(http, path, user, attempts=20):
    """GET with retries over transient failures; (status, parsed body or None)."""
    for attempt in range(attempts):
        try:
            status, body = http.request("GET", path, user=user)
        except Exception:
            time.sleep(0.2)
            continue
        if status >= 500:
            time.sleep(0.2)
            continue
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, None
    return None, None


# ---------------------------------------------------------------------------------------------
# Signature checks


def der_length(data):
    """Length of the DER element at the start of `data` (header included), or None."""
    if len(data) < 2:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2:2 + count], "big")


def openssl_verify(cms, content, certificate, scratch):
    base = os.path.join(scratch, uuid.uuid4().hex)
    with open(base + ".p7s", "wb") as f:
        f.write(cms)
    with open(base + ".bin", "wb") as f:
        f.write(content)
    try:
        result = subprocess.run(
            ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", base + ".p7s", "-content", base + ".bin",
             "-CAfile", certificate, "-purpose", "any", "-out", "/dev/null"],
            capture_output=True, text=True)
        return result.returncode == 0, result.stderr.strip()[-300:]
    finally:
        for suffix in (".p7s", ".bin"):
            try:
                os.unlink(base + suffix)
            except OSError:
                pass


def pades_parts(signed):
    """(CMS DER, signed byte ranges concatenated, byte range) of the last signature, or raises ValueError."""
    matches = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", signed))
    if not matches:
        raise ValueError("no /ByteRange")
    a, b, c, d = (int(x) for x in matches[-1].groups())
    if a != 0 or b <= 0 or c < b or c + d != len(signed):
        raise ValueError(f"/ByteRange [{a} {b} {c} {d}] does not cover the file of {len(signed)} bytes")
    hole = signed[b:c].strip()
    if not (hole.startswith(b"<") and hole.endswith(b">")):
        raise ValueError("/Contents is not a hex string")
    cms = bytes.fromhex(hole[1:-1].decode())
    length = der_length(cms)
    if length is None or length > len(cms):
        raise ValueError("/Contents holds no DER object")
    return cms[:length], signed[a:a + b] + signed[c:c + d], (a, b, c, d)


def verify_document(sent, signed, certificate, scratch):
    """(ok, why) for one signed document against what was sent."""
    if not signed:
        return False, "no signedContent"
    if sent.signature_type == "CAdES":
        return openssl_verify(signed, sent.content, certificate, scratch)
    if not signed.startswith(sent.content):
        return False, "the original PDF is not a prefix of the signed one"
    try:
        cms, covered, (a, b, c, d) = pades_parts(signed)
    except ValueError as error:
        return False, str(error)
    if b < len(sent.content):
        return False, "the /Contents hole lies inside the original bytes"
    return openssl_verify(cms, covered, certificate, scratch)


def signed_digest(signed):
    """The document digest a signed result claims: SHA-256 of the original a signed PDF starts with
    (up to its first %%EOF line), or a CMS's messageDigest (CAdES). Told apart by content, not by
    the type that was asked, so a result of another document of the other type is recognized too."""
    if not signed.startswith(b"%PDF"):
        at = signed.find(MESSAGE_DIGEST_OID)
        if at < 0:
            return None
        rest = signed[at + len(MESSAGE_DIGEST_OID):]
        if rest[:4] == b"\x31\x22\x04\x20":
            return rest[4:36]
        return None
    end = signed.find(b"%%EOF")
    if end < 0:
        return None
    end += len(b"%%EOF")
    while end < len(signed) and signed[end:end + 1] in (b"\r", b"\n"):
        end += 1
    return hashlib.sha256(signed[:end]).digest()


# ---------------------------------------------------------------------------------------------


def print_summary(s, out):
    rows = [
        ("operations sent / acknowledged", f"{s['operations_sent']} / {s['operations_acknowledged']} "
                                           f"({s['acknowledged_200']} with 200)"),
        ("never acknowledged (not counted as lost)", f"{s['never_acknowledged']} "
                                                     f"(created anyway: {s['never_acknowledged_but_created']})"),
        ("requests retried / rejected (4xx)", f"{s['retried_requests']} / {s['rejected_requests']}"),
        ("documents acknowledged / verified", f"{s['documents_acknowledged']} / {s['documents_verified']} "
                                              f"({s['documents_signed_after_redispatch']} signed on a later attempt)"),
        ("throughput achieved", f"{s['achieved_operations_per_s']} operations/s "
                                f"(target {s['target']['operations_per_s']})"),
        ("signer kills (skipped)", f"{s['signer_kills']} ({s['signer_kills_skipped']})"),
        ("gateway kills / restart failures", f"{s['gateway_kills_done']} / {s['gateway_restart_failures']}"),
        ("recovery, kill to ready (s)", ", ".join(str(x) for x in s["recovery_seconds"]) or "-"),
        ("signers outliving a killed gateway", str(s["stragglers_killed"])),
        ("final gateway exit on SIGTERM", str(s["final_gateway_exit"])),
        ("LOST operations", str(s["lost_operations"])),
        ("LOST documents", str(s["lost_documents"])),
        ("DUPLICATED operations", str(s["duplicated"])),
        ("MISMATCHED documents", str(s["mismatched"])),
        ("CROSS-CLIENT operations", str(s["cross_client"])),
        ("BAD signatures", str(s["bad_signatures"])),
        ("CRASHES in the logs", str(s["crashes"])),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print("Signet chaos run " + s["run_id"])
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    if s["unsigned_documents_by_error"]:
        print(f"  documents of surviving operations not signed, by code: {s['unsigned_documents_by_error']}")
    if s["lost_by_generation"]:
        print(f"  lost operations by the gateway generation that acknowledged them: {s['lost_by_generation']}")
    for kind, items in s["problems"].items():
        for item in items[:3]:
            print(f"  e.g. {kind}: {item}")
    for line in s["crash_lines"][:5] + s["unexpected_signer_exits"][:5]:
        print(f"  crash: {line}")
    for event in s["gateway_exits_on_its_own"][:5]:
        print(f"  crash: the gateway exited without being killed: {event}")
    print(f"  gateway logs: {s['run_folder']}/gateway-*.log")
    print(f"  summary JSON: {out}")
    if s["passed"]:
        print("PASS")
    else:
        print("FAIL: " + "; ".join(s["failures"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", default=os.path.join(ROOT, ".build/debug"))
    parser.add_argument("--duration", type=float, default=60, help="seconds of load and faults")
    parser.add_argument("--rate", type=float, default=20, help="operations per second (both clients)")
    parser.add_argument("--documents", type=int, default=10, help="documents per operation")
    parser.add_argument("--pades-share", type=float, default=0.2, help="share of PAdES documents")
    parser.add_argument("--signer-kill-every", type=float, default=5, help="seconds; 0 = never")
    parser.add_argument("--gateway-kills", type=int, default=3)
    parser.add_argument("--busy-wait", type=float, default=1.0,
                        help="seconds to wait for a signer holding jobs before killing an idle one")
    parser.add_argument("--signers", type=int, default=2, help="--local-signers of the gateway")
    parser.add_argument("--threads", type=int, default=4, help="sending threads per client service")
    parser.add_argument("--retry-grace", type=float, default=20,
                        help="seconds after the run during which unacknowledged requests are still retried")
    parser.add_argument("--request-timeout", type=float, default=15)
    parser.add_argument("--ready-timeout", type=float, default=60)
    parser.add_argument("--finish-timeout", type=float, default=120,
                        help="bounded wait for acknowledged operations to finish")
    parser.add_argument("--straggler-wait", type=float, default=3,
                        help="seconds a killed gateway's signers get to exit on their own")
    parser.add_argument("--min-rate-fraction", type=float, default=0.8)
    parser.add_argument("--http-workers", type=int, default=8)
    parser.add_argument("--verify-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--gateway-arg", action="append", help="extra gateway flag (repeatable)")
    parser.add_argument("--trust", help="certificate signatures must verify against (default: the development "
                                        "identity the gateway creates, STATE/dev-signing-cert.pem)")
    parser.add_argument("--run-dir", help="folder for logs and state (default: a new /tmp/signet-chaos-*)")
    parser.add_argument("--out", help="summary JSON (default: RUN_DIR/summary.json)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the state and work folders of a passing run too (a failing run keeps them)")
    args = parser.parse_args()
    if shutil.which("openssl") is None:
        raise SystemExit("openssl is needed")
    run = Run(args)
    try:
        code = run.execute()
    except SystemExit as error:
        print(f"chaos: {error}", file=sys.stderr)
        code = 2
    finally:
        if run.gateway.process and run.gateway.process.poll() is None:
            run.gateway.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
