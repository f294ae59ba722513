#!/usr/bin/env python3
"""A real RFC 3161 time-stamping responder for tests: HTTP on loopback, replies made by
`openssl ts -reply` with a throwaway TSA key and certificate created at start.

Usage: tsa_server.py DIRECTORY   (prints "PORT <n>" once listening; DIRECTORY/tsa-cert.pem is the TSA certificate)
"""
import http.server, os, subprocess, sys, tempfile

directory = sys.argv[1]
os.makedirs(directory, exist_ok=True)
key, cert, config = (os.path.join(directory, n) for n in ("tsa-key.pem", "tsa-cert.pem", "tsa.cnf"))
with open(config, "w") as f:
    f.write(f"""
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = Signet test TSA
[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {directory}
serial = {directory}/tsa-serial
signer_cert = {cert}
signer_key = {key}
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
with open(os.path.join(directory, "tsa-serial"), "w") as f:
    f.write("01\n")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", cert, "-days", "30", "-config", config, "-extensions", "tsa_ext"],
               check=True, capture_output=True)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with tempfile.TemporaryDirectory() as work:
            q, r = os.path.join(work, "q.tsq"), os.path.join(work, "r.tsr")
            open(q, "wb").write(query)
            made = subprocess.run(["openssl", "ts", "-reply", "-config", config, "-section", "tsa_config",
                                   "-queryfile", q, "-out", r], capture_output=True)
            if made.returncode != 0:
                self.send_response(400); self.end_headers(); return
            reply = open(r, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
