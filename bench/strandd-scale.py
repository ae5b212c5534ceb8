#!/usr/bin/python3
"""strandd's control plane at scale, measured through the real client library (python3-libvirt).

  bench/strandd-scale.py [--domains 200] [--reps 3] [--json out.json] [--strandd PATH]
                         [--strand PATH] [--qemu]

Starts its own strandd (temporary directories, its own socket) and, per repetition:
  1. defines and starts N micro-guest domains (16 MiB, the `idle` guest: it halts), one after
     the other from one client: the define+start rate (domains/s) and each call's latency;
  2. at 1, 50 and N running domains: the latency of listAllDomains, of getAllDomainStats
     (what `virsh domstats` calls) and of `virsh list --all` and `virsh domstats` as commands
     (the virsh process's own start-up included), 30 samples each;
  3. strandd's RSS, and the memory of one running domain (the strand process's PSS);
  4. control latency on one domain: suspend+resume round trip, vcpupin (the call, and the
     vCPU thread's affinity read back right after it returns: the pin is in place when the
     call returns, or the sample says so), 100 samples each;
  5. destroys and undefines everything.
With --qemu it also times define+start+destroy of a minimal QEMU domain through Debian's
libvirtd (qemu:///system), when that runs on this host, for the side-by-side row.

Raw samples go to --json; the table prints medians, p99 and the spread across repetitions.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))


def xml(name):
    return ("<domain type='kvm'><name>%s</name><metadata><strand:config "
            "xmlns:strand='http://strand.dev/schemas/domain/1.0'><strand:guest program='idle'/>"
            "</strand:config></metadata><memory unit='MiB'>16</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64'>hvm</type></os></domain>" % name)


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def timed(fn, *a):
    t = time.perf_counter()
    r = fn(*a)
    return (time.perf_counter() - t) * 1e3, r


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def vm_pid(run_dir, name):
    with open(os.path.join(run_dir, name + ".state")) as f:
        return json.load(f)["pid"]


def vcpu_tid(run_dir, name):
    pid = vm_pid(run_dir, name)
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
            if re.search(r"(^|\.)vcpu0$", f.read().strip()):
                return int(t)
    raise RuntimeError("no vCPU thread")


def start_strandd(args, top):
    sock = os.path.join(top, "run", "strand-sock")
    log = open(os.path.join(top, "strandd.log"), "ab")
    p = subprocess.Popen([args.strandd, "--state-dir", os.path.join(top, "lib"), "--run-dir",
                          os.path.join(top, "run"), "--strand", args.strand, "--socket-ro", "none"],
                         stdout=log, stderr=subprocess.STDOUT)
    for _ in range(400):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            s.close()
            return p, "strand+unix:///system?socket=" + sock
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("strandd did not start")


def virsh_ms(uri, *cmd):
    t = time.perf_counter()
    subprocess.run(["virsh", "-c", uri] + list(cmd), check=True, capture_output=True)
    return (time.perf_counter() - t) * 1e3


def listing(conn, uri, samples, out, n):
    r = out.setdefault(str(n), {})
    r.setdefault("listAllDomains_ms", []).extend(
        timed(conn.listAllDomains, 0)[0] for _ in range(samples))
    r.setdefault("getAllDomainStats_ms", []).extend(
        timed(conn.getAllDomainStats, 0, 0)[0] for _ in range(samples))
    r.setdefault("virsh_list_ms", []).extend(virsh_ms(uri, "list", "--all") for _ in range(samples))
    r.setdefault("virsh_domstats_ms", []).extend(virsh_ms(uri, "domstats") for _ in range(samples))


def one_rep(args, rep, doc):
    top = tempfile.mkdtemp(prefix="strandd-bench-")
    proc, uri = start_strandd(args, top)
    run_dir = os.path.join(top, "run")
    conn = libvirt.open(uri)
    res = {"define_ms": [], "start_ms": [], "listing": {}}
    try:
        t0 = time.perf_counter()
        for i in range(args.domains):
            ms, dom = timed(conn.defineXML, xml("d%03d" % i))
            res["define_ms"].append(ms)
            ms, _ = timed(dom.create)
            res["start_ms"].append(ms)
            if i + 1 in (1, 50) and (i + 1 == 1 or args.domains > 50):
                t_pause = time.perf_counter()
                listing(conn, uri, args.samples, res["listing"], i + 1)
                if i == 0:
                    res["rss_strandd_kib_1"] = rss_kib(proc.pid)
                t0 += time.perf_counter() - t_pause  # the listing is not part of the rate
        total = time.perf_counter() - t0
        res["define_start_per_s"] = args.domains / total
        listing(conn, uri, args.samples, res["listing"], args.domains)
        res["rss_strandd_kib"] = rss_kib(proc.pid)
        pids = [vm_pid(run_dir, "d%03d" % i) for i in range(args.domains)]
        res["pss_domain_kib"] = [pss_kib(p) for p in pids[:20]]
        res["rss_domain_kib"] = [rss_kib(p) for p in pids[:20]]
        # control latency on d000
        dom = conn.lookupByName("d000")
        tid = vcpu_tid(run_dir, "d000")
        ncpu = os.cpu_count()
        res["suspend_resume_ms"] = []
        for _ in range(args.control):
            t = time.perf_counter()
            dom.suspend()
            dom.resume()
            res["suspend_resume_ms"].append((time.perf_counter() - t) * 1e3)
        res["vcpupin_ms"], res["vcpupin_not_in_place"] = [], 0
        for k in range(args.control):
            cpu = k % ncpu
            t = time.perf_counter()
            dom.pinVcpu(0, tuple(c == cpu for c in range(ncpu)))
            res["vcpupin_ms"].append((time.perf_counter() - t) * 1e3)
            if os.sched_getaffinity(tid) != {cpu}:
                res["vcpupin_not_in_place"] += 1
        # tear down
        t = time.perf_counter()
        for d in conn.listAllDomains():
            d.destroy()
            d.undefine()
        res["destroy_undefine_s"] = time.perf_counter() - t
    finally:
        conn.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        subprocess.run(["pkill", "-KILL", "-f", "--", "--monitor unix:" + run_dir], check=False)
        shutil.rmtree(top, ignore_errors=True)
    doc["reps"].append(res)


def ensure_libvirtd():
    """Debian's libvirtd for qemu:///system: installed (libvirt-daemon-system, as root) and
    started here if it is not running. Returns the pid it started, or None."""
    if not shutil.which("libvirtd") and not os.path.exists("/usr/sbin/libvirtd"):
        if os.geteuid() != 0:
            raise RuntimeError("--qemu needs libvirt-daemon-system (run as root to install it)")
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                        "libvirt-daemon-system"], check=True, capture_output=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if os.path.exists("/run/libvirt/libvirt-sock"):
        try:
            libvirt.open("qemu:///system").close()
            return None
        except libvirt.libvirtError:
            pass
    os.makedirs("/var/log/libvirt", exist_ok=True)
    subprocess.run(["/usr/sbin/virtlogd", "-d"], capture_output=True)
    p = subprocess.Popen(["/usr/sbin/libvirtd"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists("/run/libvirt/libvirt-sock"):
            return p
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("libvirtd did not start")


def qemu_row(doc, reps):
    """define+start+destroy of a no-kernel QEMU domain through Debian's libvirtd (TCG: the
    libvirt-qemu user may not open /dev/kvm here; these are control-plane timings)."""
    try:
        started = ensure_libvirtd()
        conn = libvirt.open("qemu:///system")
    except (RuntimeError, libvirt.libvirtError, subprocess.CalledProcessError) as e:
        doc["qemu"] = {"skipped": "qemu:///system: %s" % e}
        return
    x = ("<domain type='qemu'><name>bench-q</name><memory unit='MiB'>16</memory><vcpu>1</vcpu>"
         "<os><type arch='x86_64'>hvm</type></os><devices></devices></domain>")
    q = {"define_ms": [], "start_ms": [], "destroy_ms": [], "suspend_resume_ms": [],
         "listAllDomains_ms": []}
    try:
        for _ in range(reps):
            ms, dom = timed(conn.defineXML, x)
            q["define_ms"].append(ms)
            ms, _ = timed(dom.create)
            q["start_ms"].append(ms)
            for _ in range(10):
                t = time.perf_counter()
                dom.suspend()
                dom.resume()
                q["suspend_resume_ms"].append((time.perf_counter() - t) * 1e3)
                q["listAllDomains_ms"].append(timed(conn.listAllDomains, 0)[0])
            ms, _ = timed(dom.destroy)
            q["destroy_ms"].append(ms)
            dom.undefine()
    except libvirt.libvirtError as e:
        q["error"] = e.get_error_message()
    finally:
        conn.close()
        if started:
            started.terminate()
            started.wait(30)
    doc["qemu"] = q


def summary(doc):
    reps = doc["reps"]

    def across(key, f=statistics.median):
        v = [f(r[key]) if isinstance(r[key], list) else r[key] for r in reps]
        return statistics.median(v), min(v), max(v)

    print("strandd scale: %d domains x %d repetitions (host: %d CPUs, load average %.1f at "
          "the start)" % (doc["domains"], len(reps), os.cpu_count(), doc["load_avg_start"][0]))
    print("%-34s %12s %12s %12s" % ("metric", "median", "min rep", "max rep"))
    rows = [("define+start rate (domains/s)", "define_start_per_s", None),
            ("define call p50 (ms)", "define_ms", statistics.median),
            ("start call p50 (ms)", "start_ms", statistics.median),
            ("start call p99 (ms)", "start_ms", lambda x: pct(x, 99)),
            ("suspend+resume p50 (ms)", "suspend_resume_ms", statistics.median),
            ("suspend+resume p99 (ms)", "suspend_resume_ms", lambda x: pct(x, 99)),
            ("vcpupin p50 (ms)", "vcpupin_ms", statistics.median),
            ("vcpupin p99 (ms)", "vcpupin_ms", lambda x: pct(x, 99)),
            ("strandd RSS, 1 domain (KiB)", "rss_strandd_kib_1", None),
            ("strandd RSS, all (KiB)", "rss_strandd_kib", None),
            ("strand process PSS (KiB)", "pss_domain_kib", statistics.median),
            ("strand process RSS (KiB)", "rss_domain_kib", statistics.median)]
    for label, key, f in rows:
        m, lo, hi = across(key, f) if f else across(key)
        print("%-34s %12.2f %12.2f %12.2f" % (label, m, lo, hi))
    print("vcpupin not in place when the call returned: %d of %d" % (
        sum(r["vcpupin_not_in_place"] for r in reps), sum(len(r["vcpupin_ms"]) for r in reps)))
    for n in sorted(reps[0]["listing"], key=int):
        for key in ("listAllDomains_ms", "getAllDomainStats_ms", "virsh_list_ms", "virsh_domstats_ms"):
            v50 = [statistics.median(r["listing"][n][key]) for r in reps]
            v99 = [pct(r["listing"][n][key], 99) for r in reps]
            print("%-34s %12.2f %12.2f %12.2f   p99 %.2f" % (
                "%s @%s (ms)" % (key[:-3], n), statistics.median(v50), min(v50), max(v50),
                statistics.median(v99)))
    q = doc.get("qemu")
    if q:
        if "skipped" in q or "error" in q:
            print("libvirtd+QEMU: %s" % (q.get("skipped") or q.get("error")))
        else:
            print("libvirtd+QEMU (TCG, 1 domain) p50 ms: define %.2f, start %.2f, destroy %.2f, "
                  "suspend+resume %.2f, listAllDomains %.2f" % (
                      statistics.median(q["define_ms"]), statistics.median(q["start_ms"]),
                      statistics.median(q["destroy_ms"]),
                      statistics.median(q["suspend_resume_ms"]),
                      statistics.median(q["listAllDomains_ms"])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domains", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--control", type=int, default=100)
    ap.add_argument("--json")
    ap.add_argument("--strandd", default=os.path.join(HERE, "..", "build", "daemon", "strandd"))
    ap.add_argument("--strand", default=os.path.join(HERE, "..", "build", "machine", "strand"))
    ap.add_argument("--qemu", action="store_true")
    args = ap.parse_args()
    if args.domains < 1 or args.reps < 1:
        ap.error("--domains and --reps must be positive")
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        ap.error("--json %s: its directory does not exist" % args.json)
    for p in (args.strandd, args.strand):
        if not os.access(p, os.X_OK):
            ap.error("%s is not executable (build first: ninja -C build)" % p)
    args.strandd, args.strand = os.path.abspath(args.strandd), os.path.abspath(args.strand)
    doc = {"domains": args.domains, "host_cpus": os.cpu_count(), "reps": [],
           "load_avg_start": os.getloadavg(),
           "revision": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                      capture_output=True, text=True).stdout.strip()}
    def save():
        if args.json:
            with open(args.json, "w") as f:
                json.dump(doc, f, indent=1)

    for rep in range(args.reps):
        one_rep(args, rep, doc)
        save()
    if args.qemu:
        qemu_row(doc, 3)
        save()
    doc["load_avg_end"] = os.getloadavg()
    save()
    summary(doc)


if __name__ == "__main__":
    main()
