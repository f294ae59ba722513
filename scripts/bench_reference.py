"""The references `make bench` (scripts/bench.py) sets Signet beside: this machine's limit from
`openssl speed -multi N`, and pyHanko signing the same documents in a pool of N processes."""
import asyncio, os, re, shutil, subprocess, time


def service_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def openssl_speed(algorithm, cores, seconds, extra=()):
    return subprocess.run(["openssl", "speed", "-seconds", str(seconds), "-multi", str(cores), *extra, algorithm],
                          capture_output=True, text=True).stdout


def machine_rates(cores, seconds):
    """Signatures/s per key type and SHA-256 bytes/s, all cores at once (`openssl speed -multi`)."""
    rates = {}
    out = openssl_speed("ecdsap256", cores, seconds)
    m = re.search(r"256 bits ecdsa \(nistp256\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", out)
    rates["p256"] = float(m.group(1)) if m else None
    out = openssl_speed("rsa2048", cores, seconds)
    m = re.search(r"rsa 2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", out)
    rates["rsa2048"] = float(m.group(1)) if m else None
    out = openssl_speed("sha256", cores, seconds, ["-bytes", "16384"])
    m = re.search(r"^sha256\s+([\d.]+)k", out, re.M)  # openssl prints thousands of bytes per second
    rates["sha256_bytes"] = float(m.group(1)) * 1000 if m else None
    return rates


def limit_for(rates, key, size):
    if not rates.get(key) or not rates.get("sha256_bytes"):
        return None
    return 1 / (1 / rates[key] + size / rates["sha256_bytes"])


_SIGNER = None
_LOOP = None


def _pyhanko_init(key_file, cert_file):
    global _SIGNER, _LOOP
    from pyhanko.sign import signers
    _SIGNER = signers.SimpleSigner.load(key_file, cert_file)
    _LOOP = asyncio.new_event_loop()


def _pyhanko_warm(_):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: F401  (imports before the clock)
    return os.getpid()


def _pyhanko_sign(job):
    """Reads one document, signs it as a user's script would, writes the result next to it."""
    path, signature_type = job
    from pyhanko.sign import signers, fields
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    if signature_type == "PAdES":
        with open(path, "rb") as f:
            writer = IncrementalPdfFileWriter(f)
            meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES,
                                                md_algorithm="sha256")
            out = signers.sign_pdf(writer, meta, signer=_SIGNER)
        with open(path + ".signed.pdf", "wb") as f:
            f.write(out.getbuffer())
    else:
        with open(path, "rb") as f:
            data = f.read()
        cms = _LOOP.run_until_complete(_SIGNER.async_sign_general_data(data, "sha256", detached=True, use_cades=True))
        with open(path + ".p7s", "wb") as f:
            f.write(cms.dump())
    return 1


def pyhanko_case(scratch, key_files, key, signature_type, size, contents, processes):
    """pyHanko signing `contents` with the key and certificate files `key_files` in `processes`
    worker processes; the documents are written to files under `scratch` first."""
    import multiprocessing
    folder = os.path.join(scratch, f"pyhanko-{key}-{signature_type}-{size}")
    os.makedirs(folder)
    jobs = []
    for index, content in enumerate(contents):
        path = os.path.join(folder, f"doc-{index}")
        with open(path, "wb") as f:
            f.write(content)
        jobs.append((path, signature_type))
    key_file, cert_file = key_files
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_pyhanko_init, initargs=(key_file, cert_file)) as pool:
        pool.map(_pyhanko_warm, range(processes * 4), chunksize=1)
        pool.map(_pyhanko_sign, jobs[:processes], chunksize=1)  # first signature of each worker, untimed
        started = time.perf_counter()
        pool.map(_pyhanko_sign, jobs, chunksize=max(1, len(jobs) // (processes * 8)))
        seconds = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    return {"key": key, "type": signature_type, "size": size, "documents": len(contents), "processes": processes,
            "docs_per_second": round(len(contents) / seconds, 1)}


def pyhanko_version():
    try:
        from importlib.metadata import version
        return version("pyhanko")
    except Exception:
        return None
