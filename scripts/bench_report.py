"""The report of `make bench` (scripts/bench.py): the table it prints, the Markdown tables of
docs/benchmarks.md and the plot docs/benchmarks.png."""
import statistics

from bench_reference import limit_for

KEYS = {
    "p256": {"label": "P-256", "req": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "speed": "ecdsap256"},
    "rsa2048": {"label": "RSA-2048", "req": ["-newkey", "rsa:2048"], "speed": "rsa2048"},
}


def size_label(size):
    return f"{size / 1e6:g} MB" if size >= 1_000_000 else f"{size / 1e3:g} KB"


STATUS_RUNS = (("connections_1", "GET /v1/operations/{id}, 50 documents, 1 connection"),
               ("connections_4", "GET /v1/operations/{id}, 50 documents, 4 connections"),
               ("one_document_connections_1", "GET /v1/operations/{id}, 1 document, 1 connection"),
               ("health_live_connections_1", "GET /health/live (no auth), 1 connection"))


def print_table(report):
    print()
    print(f"Signet benchmark {report['date']}  load at start {report['load_at_start']}  at end {report['load_at_end']}"
          f"  {report['machine']['cores']} cores  binaries {report['bin_dir']}")
    header = (f"{'key':8} {'type':5} {'intake':9} {'size':>6} {'docs':>5} {'Signet/s':>9} {'rounds':>31} {'limit/s':>8}"
              f" {'%limit':>7} {'pyHanko/s':>9} {'xpyHanko':>8} {'cpu s/1k':>8} {'curl s/1k':>9} {'gw MiB':>7} {'sig MiB':>7} {'recv%':>6}")
    print(header)
    print("-" * len(header))
    for c in report["cases"]:
        rounds = " ".join(f"{r:g}" for r in c["docs_per_second"])
        print(f"{KEYS[c['key']]['label']:8} {c['type']:5} {c['intake']:9} {size_label(c['size']):>6} {c['documents'] * c.get('clients', 1):>5}"
              f" {c['median_docs_per_second']:>9.1f} {rounds:>31} {fmt(c.get('limit_docs_per_second'), '.0f'):>8}"
              f" {fmt(pct(c.get('ratio_to_limit')), '.1f'):>7} {fmt(c.get('pyhanko_docs_per_second'), '.1f'):>9}"
              f" {fmt(c.get('ratio_to_pyhanko'), '.1f'):>8} {c['service_cpu_seconds_per_1000_docs']:>8.2f}"
              f" {c['client_cpu_seconds_per_1000_docs']:>9.3f} {c['gateway_vmhwm_mib']:>7} {fmt(c['signer_vmhwm_mib'], 'g'):>7}"
              f" {fmt(receiving_share(c), '.0f'):>6}")
    for c in report["cases"]:
        if "signHash_calls" in c:
            print(f"remote ({c['remote_latency_ms']} ms per signHash, multisign {c['multisign']}): {KEYS[c['key']]['label']} {c['type']}"
                  f" {c['intake']} {size_label(c['size'])}: {c['signHash_calls']} signHash calls,"
                  f" latency bound {c['latency_bound_seconds_per_round']} s per round")
    print("Signet/s: median of the rounds (each round one operation); %limit and xpyHanko from the median.")
    print("cpu s/1k: gateway + signers CPU seconds per 1,000 documents; curl s/1k: the client's.")
    print("recv%: share of a round spent before the operation exists (upload, intake, spool), medians.")
    status = report.get("status_latency") or {}
    for name, label in STATUS_RUNS:
        figures = status.get(name)
        if figures:
            print(f"{label}: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms,"
                  f" {figures['requests_per_second']:.0f} requests/s, non-2xx {figures['non_2xx']},"
                  f" service {figures.get('service_cpu_us_per_request')} CPU-µs/request, wrk {figures.get('wrk_cpu_share_of_one_core')} of a core")
    if status.get("skipped"):
        print("status latency:", status["skipped"])
    if report.get("pyhanko_skipped"):
        print("pyHanko:", report["pyhanko_skipped"])
    rates = report["openssl"]
    print(f"openssl speed -multi {report['machine']['cores']}: P-256 {fmt(rates.get('p256'), '.0f')} signatures/s,"
          f" RSA-2048 {fmt(rates.get('rsa2048'), '.0f')} signatures/s, SHA-256 {fmt(mb(rates.get('sha256_bytes')), '.0f')} MB/s")


def markdown(report):
    """The figures as docs/benchmarks.md shows them (`bench.py --markdown work/bench-results.json`)."""
    cores = report["machine"]["cores"]
    lines = [f"| key | type | intake | size | docs × rounds | Signet docs/s, median (rounds) | limit ({cores} cores) |"
             f" Signet / limit | pyHanko ({cores} processes) | Signet / pyHanko | CPU s / 1,000 docs (gateway + signers) |"
             f" curl CPU s / 1,000 docs | VmHWM gateway / signer MiB | receiving, % of the round |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in report["cases"]:
        rounds = ", ".join(f"{r:g}" for r in c["docs_per_second"])
        lines.append(
            f"| {KEYS[c['key']]['label']} | {c['type']} | {'base64 JSON' if c['intake'] == 'json' else 'multipart'} |"
            f" {size_label(c['size'])} | {per_round(c)} × {c['rounds']} | **{c['median_docs_per_second']:g}** ({rounds}) |"
            f" {fmt(c.get('limit_docs_per_second'), ',.0f')} | {fmt(pct(c.get('ratio_to_limit')), '.1f', ' %')} |"
            f" {fmt(c.get('pyhanko_docs_per_second'), 'g')} | {fmt(c.get('ratio_to_pyhanko'), '.1f', '×')} |"
            f" {c['service_cpu_seconds_per_1000_docs']:g} | {c['client_cpu_seconds_per_1000_docs']:g} |"
            f" {c['gateway_vmhwm_mib']:g} / {fmt(c['signer_vmhwm_mib'], 'g')} | {fmt(receiving_share(c), '.0f', ' %')} |")
    status = report.get("status_latency") or {}
    if status.get("connections_1"):
        lines += ["", f"| wrk, {status['seconds']} s each | p50 | p99 | requests/s | service CPU-µs / request |"
                      " wrk, share of a core |", "|---|---|---|---|---|---|"]
        for name, label in STATUS_RUNS:
            figures = status.get(name)
            if not figures:
                continue
            lines.append(f"| {label} | {figures['p50_ms']} ms |"
                         f" {figures['p99_ms']} ms | {figures['requests_per_second']:,.0f} |"
                         f" {figures.get('service_cpu_us_per_request', '-')} | {figures.get('wrk_cpu_share_of_one_core', '-')} |")
    rates = report["openssl"]
    lines += ["", f"`openssl speed -multi {cores}` ({report['openssl_seconds']} s each): P-256 {fmt(rates.get('p256'), ',.0f')}"
                  f" signatures/s, RSA-2048 {fmt(rates.get('rsa2048'), ',.0f')} signatures/s, SHA-256"
                  f" {fmt(mb(rates.get('sha256_bytes')), ',.0f')} MB/s. Load average at start {report['load_at_start']},"
                  f" at end {report.get('load_at_end')}; {report['seconds']} s in all."]
    return "\n".join(lines)


def receiving_share(case):
    """Median share of a round before the operation exists: upload, intake, spool writes."""
    if not case.get("seconds_receiving_per_round"):
        return None
    return 100 * statistics.median(case["seconds_receiving_per_round"]) / statistics.median(case["seconds_per_round"])


def per_round(case):
    clients = case.get("clients", 1)
    return f"{clients} × {case['documents']}" if clients > 1 else str(case["documents"])


def fmt(value, spec, unit=""):
    return "-" if value is None else format(value, spec) + unit


def pct(value):
    return None if value is None else value * 100


def mb(value):
    return None if value is None else value / 1e6


def plot(report, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (make bench installs it in .venv)"
    keys = [k for k in KEYS if any(c["key"] == k for c in report["cases"])]
    figure, axes = plt.subplots(1, len(keys), figsize=(6.4 * len(keys), 6.2), squeeze=False)
    for axis, key in zip(axes[0], keys):
        cases = [c for c in report["cases"] if c["key"] == key]
        sizes = sorted({c["size"] for c in cases})
        styles = {("PAdES", "json"): ("tab:blue", "o", "-"), ("PAdES", "multipart"): ("tab:blue", "s", "--"),
                  ("CAdES", "json"): ("tab:orange", "o", "-"), ("CAdES", "multipart"): ("tab:orange", "s", "--")}
        for (signature_type, intake), (color, marker, line) in styles.items():
            points = sorted((c["size"], c["median_docs_per_second"]) for c in cases
                            if c["type"] == signature_type and c["intake"] == intake)
            if points:
                axis.plot(*zip(*points), color=color, marker=marker, linestyle=line,
                          label=f"Signet {signature_type}, {'base64 JSON' if intake == 'json' else 'multipart'}")
        for signature_type, line in (("PAdES", "-"), ("CAdES", ":")):
            points = sorted({(c["size"], c["pyhanko_docs_per_second"]) for c in cases
                             if c["type"] == signature_type and c.get("pyhanko_docs_per_second")})
            if points:
                axis.plot(*zip(*points), color="tab:green", marker="^", linestyle=line,
                          label=f"pyHanko {signature_type}, {report['machine']['cores']} processes")
        limits = [(s, limit_for(report["openssl"], key, s)) for s in sizes]
        limits = [(s, l) for s, l in limits if l]
        if limits:
            axis.plot(*zip(*limits), color="black", marker="x", linestyle="-.", label="machine limit (1 signature + SHA-256)")
        axis.set_xscale("log"); axis.set_yscale("log")
        axis.set_xticks(sizes, [size_label(s) for s in sizes])
        axis.minorticks_off()
        axis.set_xlabel("document size"); axis.set_ylabel("documents/s")
        axis.set_title(f"{KEYS[key]['label']}, {report['machine']['cores']} cores")
        axis.grid(True, which="major", alpha=0.3)
        axis.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    load = report["load_at_start"]
    figure.suptitle(f"Signet, bench.py of tree {report['commit'] or '?'}, binaries {report['bin_dir']} — {report['matrix']} matrix, {report['date']} (load at start {load[0]:.2f})", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return None
