#!/usr/bin/python3
"""A strategy across VMs, in one process and across strandd's domain processes: same results?

  bench/strandd-sched.py [--strategy gang] [--vms 2] [--vcpus 2] [--reps 5] [--window 4]
                         [--json out.json]

The same workload both ways: VMS micro-guests running smp-spin (a contended ticket spinlock,
each acquisition counted as the guest's progress), VCPUS vCPUs each, under STRATEGY:
  inproc   one `strand run --sched STRATEGY --vm ... --vm ...` (the controller in the VMM);
  strandd  a strandd started with `--sched STRATEGY`, the VMs as domains, one process each (the
           controller in the daemon, gating vCPUs through each VM's shared vCPU gate,
           `strand run --vcpu-gate`: docs/monitor.md).
Throughput is read the same way for both: the guests' progress through the QMP monitors
(x-strand-query-progress) at the start and the end of a WINDOW-second window, after a 1 s
warm-up; acquisitions/s summed over every vCPU. The two modes alternate, REPS times each;
raw samples go to --json and the verdict is a Mann-Whitney test on the per-run rates
(alpha 0.05), with the median ratio and its spread.
"""
import argparse
import json
import os
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


class Qmp:
    def __init__(self, path, timeout=20):
        deadline = time.time() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.f = self.s.makefile("rw")
        self.f.readline()
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError("%s: %s" % (name, r["error"]["desc"]))

    def close(self):
        self.s.close()


def progress_sum(qmps):
    total = 0
    for q in qmps:
        for e in q.cmd("x-strand-query-progress")["vcpus"]:
            total += e["progress"]
    return total


def measure(qmps, window):
    time.sleep(1.0)
    t0, p0 = time.perf_counter(), progress_sum(qmps)
    time.sleep(window)
    t1, p1 = time.perf_counter(), progress_sum(qmps)
    return (p1 - p0) / (t1 - t0)


def guest(args):
    return "smp-spin:duration_ms=%d" % int((args.window + 30) * 1000)


def run_inproc(args, top):
    mon = os.path.join(top, "inproc.qmp")
    cmd = [args.strand, "run", "--sched", args.strategy, "--quiet", "--monitor", "unix:" + mon]
    for i in range(args.vms):
        cmd += ["--vm", "--name", "v%d" % i, "--guest", guest(args), "--vcpus", str(args.vcpus),
                "--memory", "16M"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        q = Qmp(mon)
        rate = measure([q], args.window)
        q.close()
    finally:
        p.kill()
        p.wait()
    return rate


def run_strandd(args, top):
    d = os.path.join(top, "d")
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "run", "strand-sock")
    log = open(os.path.join(top, "strandd.log"), "ab")
    p = subprocess.Popen([args.strandd, "--state-dir", os.path.join(d, "lib"), "--run-dir",
                          os.path.join(d, "run"), "--strand", args.strand, "--socket-ro", "none",
                          "--sched", args.strategy], stdout=log, stderr=subprocess.STDOUT)
    qmps = []
    try:
        deadline = time.time() + 20
        while not os.path.exists(sock):
            if time.time() > deadline or p.poll() is not None:
                raise RuntimeError("strandd did not start")
            time.sleep(0.05)
        conn = libvirt.open("strand+unix:///system?socket=" + sock)
        for i in range(args.vms):
            conn.createXML(
                "<domain type='kvm'><name>v%d</name><metadata><strand:config "
                "xmlns:strand='http://strand.dev/schemas/domain/1.0'><strand:guest "
                "program='smp-spin' args='%s'/></strand:config></metadata>"
                "<memory unit='MiB'>16</memory><vcpu>%d</vcpu>"
                "<os><type arch='x86_64'>hvm</type></os></domain>"
                % (i, guest(args).split(":", 1)[1], args.vcpus), 0)
        qmps = [Qmp(os.path.join(d, "run", "v%d.qmp" % i)) for i in range(args.vms)]
        rate = measure(qmps, args.window)
        for dom in conn.listAllDomains():
            dom.destroy()
        conn.close()
    finally:
        for q in qmps:
            q.close()
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        log.close()
        shutil.rmtree(d, ignore_errors=True)
    return rate


def mwu_p(a, b):
    """Two-sided Mann-Whitney U p-value by exact permutation of ranks (small samples)."""
    import itertools
    pooled = sorted(a + b)
    rank = {}
    i = 0
    while i < len(pooled):
        j = i
        while j < len(pooled) and pooled[j] == pooled[i]:
            j += 1
        for k in range(i, j):
            rank.setdefault(pooled[i], (i + j + 1) / 2.0)
        i = j
    ra = sum(rank[x] for x in a)
    n, m = len(a), len(b)
    mean = n * (n + m + 1) / 2.0
    obs = abs(ra - mean)
    allranks = [rank[x] for x in a + b]
    count = total = 0
    for comb in itertools.combinations(range(n + m), n):
        total += 1
        if abs(sum(allranks[c] for c in comb) - mean) >= obs - 1e-9:
            count += 1
    return count / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strategy", default="gang")
    ap.add_argument("--vms", type=int, default=2)
    ap.add_argument("--vcpus", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--window", type=float, default=4.0)
    ap.add_argument("--json")
    ap.add_argument("--strandd", default=os.path.join(HERE, "..", "build", "daemon", "strandd"))
    ap.add_argument("--strand", default=os.path.join(HERE, "..", "build", "machine", "strand"))
    args = ap.parse_args()
    if args.reps < 2 or args.reps > 8:
        ap.error("--reps: 2..8 (the exact test enumerates the rank sums)")
    args.strandd, args.strand = os.path.abspath(args.strandd), os.path.abspath(args.strand)
    top = tempfile.mkdtemp(prefix="strandd-sched-")
    res = {"inproc": [], "strandd": []}
    try:
        for r in range(args.reps):
            order = ("inproc", "strandd") if r % 2 == 0 else ("strandd", "inproc")
            for mode in order:
                fn = run_inproc if mode == "inproc" else run_strandd
                res[mode].append(fn(args, top))
                print("rep %d %-8s %12.0f acquisitions/s" % (r + 1, mode, res[mode][-1]),
                      flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    a, b = res["inproc"], res["strandd"]
    p = mwu_p(a, b)
    ratio = statistics.median(b) / statistics.median(a) if statistics.median(a) else float("nan")
    verdict = "same (no difference at alpha 0.05)" if p >= 0.05 else (
        "strandd slower" if statistics.median(b) < statistics.median(a) else "strandd faster")
    doc = {"strategy": args.strategy, "vms": args.vms, "vcpus": args.vcpus,
           "host_cpus": os.cpu_count(), "window_s": args.window, "samples": res,
           "ratio_median": ratio, "p": p, "verdict": verdict}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    print("%s, %d VMs x %d vCPUs on %d CPUs" % (args.strategy, args.vms, args.vcpus, os.cpu_count()))
    for mode in ("inproc", "strandd"):
        v = res[mode]
        print("  %-8s median %12.0f  min %12.0f  max %12.0f acquisitions/s" % (
            mode, statistics.median(v), min(v), max(v)))
    print("  strandd / inproc = %.3f, Mann-Whitney p = %.3f: %s" % (ratio, p, verdict))


if __name__ == "__main__":
    main()
