#!/usr/bin/python3
"""strandd driven by the real clients: Debian's virsh (libvirt-clients) and python3-libvirt.

Each test talks to a strandd this file starts (its own sockets, state and run directories
under a temporary directory), through libvirt's remote driver, exactly as a user would:
strand+unix:///system?socket=PATH. Domains are micro-guests (the `idle` program: it halts
until the power button). Also: the read-only socket, hostile packets on the raw socket,
strandd killed -9 and restarted under running VMs, a VM killed -9, the XML strandd writes
validated against libvirt's RelaxNG schema, and (test_ssh) the strand+ssh:// URI through a
real sshd on 127.0.0.1.

Environment: STRAND_BIN (the strand binary), STRANDD_BIN (strandd), set by meson.
"""
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unittest

import libvirt

STRAND = os.environ.get("STRAND_BIN")
STRANDD = os.environ.get("STRANDD_BIN")
SCHEMA = "/usr/share/libvirt/schemas/domain.rng"
REMOTE_PROGRAM = 0x20008086


def kvm_unavailable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
        return None
    except OSError as e:
        return "/dev/kvm: %s" % e.strerror


def domain_xml(name, vcpus=1, program="idle", args=None, extra="", uuid=None):
    a = " args='%s'" % args if args else ""
    u = "<uuid>%s</uuid>" % uuid if uuid else ""
    return (
        "<domain type='kvm'><name>%s</name>%s"
        "<metadata><strand:config xmlns:strand='http://strand.dev/schemas/domain/1.0'>"
        "<strand:guest program='%s'%s/></strand:config></metadata>"
        "<memory unit='MiB'>16</memory><vcpu>%d</vcpu>%s"
        "<os><type arch='x86_64'>hvm</type></os></domain>" % (name, u, program, a, vcpus, extra)
    )



def stream_read(st, until=None, timeout=30):
    """What a libvirt stream (non-blocking recv: -2 means nothing yet) gives until EOF, until
    `until` shows, or until timeout seconds passed."""
    out, deadline = b"", time.time() + timeout
    while time.time() < deadline and not (until and until in out):
        b = st.recv(4096)
        if b == -2:
            time.sleep(0.05)
            continue
        if not b:
            break
        out += b
    return out

def virsh_console(uri, name, on_ready, until=None, timeout=30):
    """The real `virsh console NAME` on a terminal: collect what it prints; once it shows its
    escape banner call on_ready(fd) (once); stop at EOF, or when `until` shows (then leave
    with Ctrl-], virsh console's escape). Returns (output, wait status)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("virsh", ["virsh", "-c", uri, "console", name])
    out, ready, deadline = b"", False, time.time() + timeout
    while time.time() < deadline and not (until and until in out):
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                b = os.read(fd, 4096)
            except OSError:
                break
            if not b:
                break
            out += b
        # Ready once virsh has put the terminal in raw mode (termios on the master are the
        # slave's): it does that after its banner with TCSAFLUSH, which throws away whatever
        # was typed before, so input sent on the banner alone can be lost.
        if not ready and b"Escape character" in out and \
                not termios.tcgetattr(fd)[3] & termios.ICANON:
            on_ready(fd)
            ready = True
    if until:
        os.write(fd, b"\x1d")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out, status

class Daemon:
    """One strandd with its own directories."""

    def __init__(self, top, extra=()):
        self.top = top
        self.extra = list(extra)
        self.sock = os.path.join(top, "run", "strand-sock")
        self.sock_ro = os.path.join(top, "run", "strand-sock-ro")
        self.uri = "strand+unix:///system?socket=" + self.sock
        self.uri_ro = "strand+unix:///system?socket=" + self.sock_ro
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.top, "strandd.log"), "ab")
        self.proc = subprocess.Popen(
            [STRANDD, "--state-dir", os.path.join(self.top, "lib"), "--run-dir",
             os.path.join(self.top, "run"), "--strand", STRAND, "--verbose"] + self.extra,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("strandd exited with %d: %s" % (self.proc.returncode, self.logtext()))
            with socket.socket(socket.AF_UNIX) as s:
                try:
                    s.connect(self.sock)
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("strandd did not listen on %s" % self.sock)

    def stop(self, sig=signal.SIGTERM):
        self._stop(sig)
        self.log.close()

    def _stop(self, sig):
        """Stop strandd; with SIGTERM it must exit 0 (a clean shutdown: under the
        sanitizers, no leak and no error report)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("strandd did not stop on signal %d" % sig)
            if sig == signal.SIGTERM and self.proc.returncode != 0:
                raise AssertionError("strandd exited with %d on SIGTERM:\n%s"
                                     % (self.proc.returncode, self.logtext()))
        self.proc = None

    def logtext(self):
        try:
            with open(os.path.join(self.top, "strandd.log"), "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""


def virsh(d, *args, uri=None, check=True, timeout=60):
    p = subprocess.run(["virsh", "-c", uri or d.uri] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("virsh %s: exit %d: %s%s\nstrandd log:\n%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr, d.logtext()))
    return p


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def wait_for(fn, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def frame(proc, body=b"", prog=REMOTE_PROGRAM, vers=1, type_=0, serial=1, status=0):
    hdr = struct.pack(">IIiiIi", prog, vers, proc, type_, serial, status)
    return struct.pack(">I", 4 + len(hdr) + len(body)) + hdr + body


def read_frame(s):
    def recvn(n):
        b = b""
        while len(b) < n:
            try:
                chunk = s.recv(n - len(b))
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            b += chunk
        return b

    head = recvn(4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    rest = recvn(n - 4)
    if rest is None:
        return None
    prog, vers, proc, type_, serial, status = struct.unpack(">IIiiIi", rest[:24])
    return dict(prog=prog, proc=proc, type=type_, serial=serial, status=status, body=rest[24:])


def error_code(body):
    (code,) = struct.unpack(">i", body[:4])
    return code


def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)


def raw_open(d):
    """A raw client that has done CONNECT_OPEN."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(d.sock)
    s.sendall(frame(1, struct.pack(">I", 1) + xdr_string("strand:///system") + struct.pack(">I", 0)))
    r = read_frame(s)
    assert r and r["status"] == 0, r
    return s


class StranddTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = kvm_unavailable()
        if why:
            raise unittest.SkipTest("needs /dev/kvm: " + why)
        if not STRAND or not STRANDD:
            raise unittest.SkipTest("STRAND_BIN and STRANDD_BIN are not set (run through meson test)")
        cls.top = tempfile.mkdtemp(prefix="strandd-test-")
        cls.d = Daemon(cls.top)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        try:
            conn = libvirt.open(cls.d.uri)
            for dom in conn.listAllDomains():
                if dom.isActive():
                    dom.destroy()
            conn.close()
        except libvirt.libvirtError:
            pass
        cls.d.stop()
        shutil.rmtree(cls.top, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.top, name)

    # ---- virsh ----

    def test_connection_commands(self):
        d = self.d
        out = virsh(d, "version").stdout
        self.assertIn("Running hypervisor: STRAND", out)
        self.assertEqual(virsh(d, "hostname").stdout.strip(), socket.gethostname())
        out = virsh(d, "nodeinfo").stdout
        self.assertRegex(out, r"CPU\(s\):\s+%d" % os.cpu_count())
        self.assertIn("Memory size:", out)
        self.assertIn("socket=" + d.sock, virsh(d, "uri").stdout)
        self.assertIn("Id", virsh(d, "list", "--all").stdout)

    def test_lifecycle_with_virsh(self):
        d = self.d
        xml = write(self.path("life.xml"), domain_xml("life", vcpus=2))
        self.assertIn("Domain 'life' defined", virsh(d, "define", xml).stdout)
        self.assertRegex(virsh(d, "list", "--all").stdout, r"-\s+life\s+shut off")
        self.assertTrue(os.path.exists(os.path.join(self.top, "lib", "domains", "life.xml")))
        virsh(d, "start", "life")
        self.assertRegex(virsh(d, "list").stdout, r"\d+\s+life\s+running")
        self.assertEqual(virsh(d, "domstate", "life", "--reason").stdout.strip(), "running (booted)")
        info = virsh(d, "dominfo", "life").stdout
        self.assertRegex(info, r"CPU\(s\):\s+2")
        self.assertRegex(info, r"Max memory:\s+16384 KiB")
        self.assertRegex(info, r"Persistent:\s+yes")
        dom_id = virsh(d, "domid", "life").stdout.strip()
        self.assertTrue(dom_id.isdigit(), dom_id)
        self.assertEqual(virsh(d, "domname", dom_id).stdout.strip(), "life")
        uuid = virsh(d, "domuuid", "life").stdout.strip()
        self.assertRegex(uuid, r"^[0-9a-f-]{36}$")
        # live and inactive XML, both valid against libvirt's schema
        live = virsh(d, "dumpxml", "life").stdout
        self.assertIn("id='%s'" % dom_id, live)
        inactive = virsh(d, "dumpxml", "life", "--inactive").stdout
        self.assertNotIn("id='", inactive.split("\n")[0])
        for name, text in (("live", live), ("inactive", inactive)):
            p = write(self.path("dump-%s.xml" % name), text)
            if os.path.exists(SCHEMA):
                r = subprocess.run(["xmllint", "--noout", "--relaxng", SCHEMA, p],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, "%s XML not valid: %s\n%s" % (name, r.stderr, text))
        # suspend / resume
        virsh(d, "suspend", "life")
        self.assertEqual(virsh(d, "domstate", "life").stdout.strip(), "paused")
        virsh(d, "resume", "life")
        self.assertEqual(virsh(d, "domstate", "life").stdout.strip(), "running")
        # vCPUs and pins: the thread's affinity follows
        out = virsh(d, "vcpuinfo", "life").stdout
        self.assertEqual(len(re.findall(r"^VCPU:", out, re.M)), 2, out)
        conn = libvirt.open(d.uri)
        dom = conn.lookupByName("life")
        tids = self.vcpu_tids(dom)
        virsh(d, "vcpupin", "life", "1", "0", "--live")
        self.assertEqual(os.sched_getaffinity(tids[1]), {0})
        self.assertRegex(virsh(d, "vcpupin", "life").stdout, r"\n\s*1\s+0\s*\n")
        virsh(d, "vcpupin", "life", "0", "0", "--config")
        self.assertIn("<vcpupin vcpu='0' cpuset='0'/>", virsh(d, "dumpxml", "life", "--inactive").stdout)
        virsh(d, "emulatorpin", "life", "0", "--live")
        self.assertEqual(os.sched_getaffinity(self.vm_pid(dom)), {0})
        self.assertIn("0", virsh(d, "emulatorpin", "life").stdout)
        # scheduler parameters (host strategy: config only), NUMA
        out = virsh(d, "schedinfo", "life").stdout
        self.assertIn("Scheduler      : posix", out)
        self.assertRegex(out, r"cpu_shares\s+: 1024")
        r = virsh(d, "schedinfo", "life", "--set", "cpu_shares=512", "--live", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--sched credit", r.stderr)
        out = virsh(d, "schedinfo", "life", "--set", "cpu_shares=512", "--config").stdout
        self.assertRegex(out, r"cpu_shares\s+: 512")
        self.assertIn("numa_mode", virsh(d, "numatune", "life").stdout)
        # statistics
        out = virsh(d, "domstats", "life").stdout
        for key in ("state.state=1", "cpu.time=", "vcpu.current=2", "vcpu.0.time=", "block.count=0"):
            self.assertIn(key, out)
        # power button: the idle guest powers off
        virsh(d, "shutdown", "life")
        wait_for(lambda: virsh(d, "domstate", "life").stdout.strip() == "shut off",
                 what="life to shut off")
        self.assertIn("shut off (shutdown)", virsh(d, "domstate", "life", "--reason").stdout)
        # reboot: a new process, the domain running again
        virsh(d, "start", "life")
        pid = self.vm_pid(dom)
        virsh(d, "reboot", "life")
        wait_for(lambda: self.vm_pid(dom) not in (None, pid), what="the rebooted VM")
        virsh(d, "destroy", "life")
        self.assertIn("shut off (destroyed)", virsh(d, "domstate", "life", "--reason").stdout)
        virsh(d, "undefine", "life")
        self.assertNotIn("life", virsh(d, "list", "--all").stdout)
        conn.close()

    def test_iothreads(self):
        d = self.d
        extra = "<iothreads>2</iothreads>"
        xml = write(self.path("io.xml"), domain_xml("io", extra=extra))
        virsh(d, "create", xml)
        out = virsh(d, "iothreadinfo", "io").stdout
        self.assertRegex(out, r"\n\s*1\s+\S+")
        self.assertRegex(out, r"\n\s*2\s+\S+")
        virsh(d, "iothreadpin", "io", "2", "0", "--live")
        self.assertRegex(virsh(d, "iothreadinfo", "io").stdout, r"\n\s*2\s+0\s*\n")
        virsh(d, "destroy", "io")
        self.assertNotIn(" io ", virsh(d, "list", "--all").stdout)

    def test_events(self):
        d = self.d
        ev = subprocess.Popen(["virsh", "-c", d.uri, "event", "--loop", "--all"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1)
        xml = write(self.path("ev.xml"), domain_xml("ev"))
        virsh(d, "define", xml)
        virsh(d, "start", "ev")
        virsh(d, "suspend", "ev")
        virsh(d, "resume", "ev")
        virsh(d, "destroy", "ev")
        virsh(d, "undefine", "ev")
        time.sleep(1)
        ev.terminate()
        out = ev.communicate(timeout=10)[0]
        for line in ("Defined Added", "Started Booted", "Suspended Paused", "Resumed Unpaused",
                     "Stopped Destroyed", "Undefined Removed"):
            self.assertIn("event 'lifecycle' for domain 'ev': " + line, out)

    def test_errors_are_libvirts(self):
        d = self.d
        bad = write(self.path("bad.xml"), "<domain type='kvm'><name>x</name><memory>")
        r = virsh(d, "define", bad, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("XML", r.stderr)
        r = virsh(d, "start", "nosuchdomain", check=False)
        self.assertIn("failed to get domain", r.stderr)
        xml = write(self.path("e1.xml"), domain_xml("e1"))
        virsh(d, "define", xml)
        dup = write(self.path("e1b.xml"), domain_xml("e1", uuid="11111111-2222-3333-4444-555555555555"))
        r = virsh(d, "define", dup, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("e1", r.stderr)
        virsh(d, "start", "e1")
        r = virsh(d, "start", "e1", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already active", r.stderr)  # virsh checks before it asks
        # undefining a running domain makes it transient (libvirt's behaviour)
        virsh(d, "undefine", "e1")
        self.assertIn("Persistent:     no", virsh(d, "dominfo", "e1").stdout)
        virsh(d, "destroy", "e1")
        self.assertNotIn("e1", virsh(d, "list", "--all").stdout)
        # a kernel file that does not exist: the start fails with strand's message
        k = write(self.path("nok.xml"),
                  "<domain type='kvm'><name>nok</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                  "<os><type arch='x86_64'>hvm</type><kernel>%s</kernel></os>"
                  "<features><acpi/></features></domain>"
                  % self.path("no-such-kernel"))
        virsh(d, "define", k)
        r = virsh(d, "start", "nok", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no-such-kernel", r.stderr)
        virsh(d, "undefine", "nok")
        # what strandd does not implement: libvirt's "not supported", connection kept
        r = virsh(d, "net-list", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not supported", r.stderr)

    def test_readonly_socket(self):
        d = self.d
        self.assertIn("Id", virsh(d, "list", "--all", uri=d.uri_ro).stdout)
        xml = write(self.path("ro.xml"), domain_xml("ro"))
        r = virsh(d, "define", xml, uri=d.uri_ro, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("read only", r.stderr)
        self.assertNotIn("ro", virsh(d, "list", "--all", "--name").stdout.split())

    # ---- the serial console (libvirt streams) ----

    def test_console(self):
        """virsh console (under a pty, as a user runs it) and python's openConsole stream:
        the guest's serial output arrives, the end of the VM ends the stream."""
        d = self.d
        serial = "<devices><serial type='pty'/></devices>"
        hello = domain_xml("vc", vcpus=2, program="hello").replace(
            "</os></domain>", "</os>%s</domain>" % serial)
        conn = libvirt.open(d.uri)
        # python: open the console of a paused domain, resume, read to EOF, finish
        dom = conn.createXML(hello, libvirt.VIR_DOMAIN_START_PAUSED)
        self.assertIn("<serial type='pty'>", dom.XMLDesc(0))
        st = conn.newStream(0)
        dom.openConsole(None, st, 0)
        other = libvirt.open(d.uri)  # one console per domain: a second client is refused
        with self.assertRaises(libvirt.libvirtError) as e:
            other.lookupByName("vc").openConsole(None, other.newStream(0), 0)
        self.assertIn("Active console session", str(e.exception))
        other.close()
        dom.resume()
        out = stream_read(st, timeout=30)
        st.finish()
        self.assertIn(b"all 2 vCPUs reported in", out)
        # virsh console on a terminal
        conn.createXML(hello, libvirt.VIR_DOMAIN_START_PAUSED)
        out, status = virsh_console(d.uri, "vc",
                                    lambda fd: conn.lookupByName("vc").resume())
        self.assertIn(b"all 2 vCPUs reported in", out, out.decode(errors="replace"))
        self.assertEqual(os.WEXITSTATUS(status), 0)
        # no pty serial: a clear error
        dom = conn.createXML(domain_xml("nocon"), 0)
        with self.assertRaises(libvirt.libvirtError) as e:
            dom.openConsole(None, conn.newStream(0), 0)
        self.assertIn("no <serial type='pty'>", str(e.exception))
        dom.destroy()
        conn.close()

    def echo_domain(self, name, args="duration_ms=120000"):
        return domain_xml(name, program="uart-echo", args=args).replace(
            "</os></domain>", "</os><devices><serial type='pty'/></devices></domain>")

    def console_pty(self, dom):
        """The pty of the domain's console, from the live XML (source path and tty agree)."""
        xml = dom.XMLDesc(0)
        m = re.search(r"<serial type='pty'>\s*<source path='(/dev/pts/\d+)'/>", xml)
        self.assertTrue(m, xml)
        self.assertIn("<console type='pty' tty='%s'>" % m.group(1), xml)
        return m.group(1)

    def stream_echo(self, conn, dom, msg):
        """python3-libvirt's console stream: send msg, expect uart-echo's upper-case echo."""
        st = conn.newStream(0)
        dom.openConsole(None, st, 0)
        st.send(msg)
        out = stream_read(st, until=msg.upper(), timeout=20)
        st.finish()
        self.assertIn(msg.upper(), out)

    def test_console_survives_strandd_restart(self):
        """strand holds the console pty (--console pty); strandd opens the slave per console:
        after kill -9 and a restart of strandd, the console of the running VM still works,
        through python's stream and the real virsh console, input and output."""
        d = self.d
        virsh(d, "define", write(self.path("echo.xml"), self.echo_domain("echo")))
        virsh(d, "start", "echo")
        conn = libvirt.open(d.uri)
        dom = conn.lookupByName("echo")
        path = self.console_pty(dom)
        self.stream_echo(conn, dom, b"before")
        self.stream_echo(conn, dom, b"again")  # a second console after the first one ended
        conn.close()
        d.stop(signal.SIGKILL)
        d.start()
        conn = libvirt.open(d.uri)
        dom = conn.lookupByName("echo")
        self.assertEqual(self.console_pty(dom), path)  # from the VM's query-chardev
        self.stream_echo(conn, dom, b"after")
        # the real virsh console, on a terminal
        out, status = virsh_console(d.uri, "echo", lambda fd: os.write(fd, b"virsh"),
                                    until=b"VIRSH")
        self.assertIn(b"VIRSH", out, out.decode(errors="replace"))
        self.assertEqual(os.WEXITSTATUS(status), 0)
        dom.destroy()
        dom.undefine()
        conn.close()

    def test_console_last_lines_reach_a_slow_reader(self):
        """A VM that prints and ends at once: its pty's last output still reaches a reader that
        reads only after the VM is gone (the master's close would discard it: strand waits,
        bounded, until the reader has it). strandd's console of a VM that powers off."""
        import json
        mon = self.path("slow.qmp")
        p = subprocess.Popen([STRAND, "run", "--quiet", "--paused", "--monitor", "unix:" + mon,
                              "--console", "pty", "--guest", "hello", "--vcpus", "2"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: os.path.exists(mon), what="the monitor socket")
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(mon)
                f = s.makefile("rw")
                f.readline()
                for cmd in ("qmp_capabilities", "query-chardev"):
                    f.write(json.dumps({"execute": cmd}) + "\n")
                    f.flush()
                    r = json.loads(f.readline())["return"]
                path = [c["filename"][4:] for c in r if c["filename"].startswith("pty:")][0]
                fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
                f.write('{"execute": "cont"}\n')
                f.flush()
                time.sleep(1.0)  # the guest has printed and powered off by now
            out = b""
            while True:
                try:
                    b = os.read(fd, 4096)
                except OSError:
                    break
                if not b:
                    break
                out += b
            os.close(fd)
            self.assertIn(b"all 2 vCPUs reported in", out)
            self.assertEqual(p.wait(timeout=30), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_console_nobody_reads(self):
        """Guest output nobody reads never holds the VM up: with no console open, and with a
        reader that has the pty open but does not read, uart-echo prints 4 MiB and ends."""
        d = self.d
        conn = libvirt.open(d.uri)
        flood = self.echo_domain("flood", args="flood_kb=4096")
        dom = conn.defineXML(flood)
        for reader in (False, True):
            fd = None
            if reader:
                dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
                fd = os.open(self.console_pty(dom), os.O_RDWR | os.O_NOCTTY)
                dom.resume()
            else:
                dom.create()
            wait_for(lambda: not dom.isActive(), timeout=60, what="the flood to end")
            self.assertEqual(dom.state()[0], libvirt.VIR_DOMAIN_SHUTOFF)
            self.assertEqual(dom.state()[1], libvirt.VIR_DOMAIN_SHUTOFF_SHUTDOWN)
            if fd is not None:
                os.close(fd)
        dom.undefine()
        conn.close()

    # ---- autostart ----

    def test_autostart(self):
        """virsh autostart [--disable], dominfo, list --autostart/--no-autostart and python's
        autostart()/setAutostart(): the link in STATE/autostart as libvirt keeps it; strandd's
        first start after a boot starts autostart domains (a failing one is logged), a later
        restart leaves them as they are; transient domains are refused; undefine drops it."""
        d = self.d
        link = os.path.join(self.top, "lib", "autostart", "auto.xml")
        marker = os.path.join(self.top, "run", "autostarted")
        virsh(d, "define", write(self.path("auto.xml"), domain_xml("auto")))
        self.assertRegex(virsh(d, "dominfo", "auto").stdout, r"Autostart:\s+disable")
        self.assertIn("marked as autostarted", virsh(d, "autostart", "auto").stdout)
        self.assertRegex(virsh(d, "dominfo", "auto").stdout, r"Autostart:\s+enable")
        self.assertEqual(os.readlink(link), os.path.join(self.top, "lib", "domains", "auto.xml"))
        self.assertIn("auto", virsh(d, "list", "--all", "--autostart", "--name").stdout.split())
        self.assertNotIn("auto", virsh(d, "list", "--all", "--no-autostart", "--name").stdout.split())
        self.assertIn("unmarked as autostarted", virsh(d, "autostart", "--disable", "auto").stdout)
        self.assertFalse(os.path.lexists(link))
        self.assertIn("auto", virsh(d, "list", "--all", "--no-autostart", "--name").stdout.split())
        conn = libvirt.open(d.uri)
        dom = conn.lookupByName("auto")
        self.assertEqual(dom.autostart(), 0)
        dom.setAutostart(1)
        self.assertEqual(dom.autostart(), 1)
        self.assertTrue(os.path.islink(link))
        # transient: refused as libvirt refuses it
        tr = conn.createXML(domain_xml("trans"), 0)
        with self.assertRaises(libvirt.libvirtError) as e:
            tr.setAutostart(1)
        self.assertEqual(e.exception.get_error_code(), libvirt.VIR_ERR_OPERATION_INVALID)
        self.assertIn("cannot set autostart for transient domain", str(e.exception))
        self.assertEqual(tr.autostart(), 0)
        p = virsh(d, "autostart", "trans", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("transient", p.stderr)
        tr.destroy()
        # one that cannot start: logged, strandd and the others carry on
        broken = domain_xml("broken").replace("program='idle'", "file='/nonexistent/guest.elf'")
        conn.defineXML(broken).setAutostart(1)
        conn.close()
        # strandd's first start after a boot (RUN_DIR is a tmpfs: the marker is gone)
        d.stop()
        os.unlink(marker)
        d.start()
        wait_for(lambda: "running" in virsh(d, "domstate", "auto").stdout, what="auto autostarted")
        wait_for(lambda: "broken: autostart failed" in d.logtext(), what="the failure logged")
        self.assertIn("shut off", virsh(d, "domstate", "broken").stdout)
        self.assertTrue(os.path.exists(marker))
        # the state groups of LIST_ALL_DOMAINS' flags, beside the autostart ones
        self.assertIn("auto", virsh(d, "list", "--state-running", "--name").stdout.split())
        self.assertIn("broken", virsh(d, "list", "--all", "--state-shutoff", "--name").stdout.split())
        self.assertNotIn("auto", virsh(d, "list", "--all", "--state-shutoff", "--name").stdout.split())
        self.assertEqual(virsh(d, "list", "--all", "--with-snapshot", "--name").stdout.split(), [])
        # a later restart (strandd killed -9, or stopped) leaves domains as they are
        virsh(d, "destroy", "auto")
        d.stop(signal.SIGKILL)
        d.start()
        time.sleep(1)
        self.assertIn("shut off", virsh(d, "domstate", "auto").stdout)
        self.assertRegex(virsh(d, "dominfo", "auto").stdout, r"Autostart:\s+enable")
        # undefine removes the link; a new domain of the same name starts without it
        virsh(d, "undefine", "broken")
        self.assertFalse(os.path.lexists(os.path.join(self.top, "lib", "autostart", "broken.xml")))
        virsh(d, "start", "auto")
        virsh(d, "undefine", "auto")  # running: transient from now on, the link gone
        self.assertFalse(os.path.lexists(link))
        virsh(d, "destroy", "auto")
        os.symlink("/nowhere", link)  # a stale link: a new definition must not inherit it
        virsh(d, "define", write(self.path("auto.xml"), domain_xml("auto")))
        self.assertRegex(virsh(d, "dominfo", "auto").stdout, r"Autostart:\s+disable")
        self.assertFalse(os.path.lexists(link))
        virsh(d, "undefine", "auto")

    # ---- python3-libvirt ----

    def test_python_libvirt(self):
        conn = libvirt.open(self.d.uri)
        self.assertEqual(conn.getType(), "STRAND")
        names = [x.name() for x in conn.listAllDomains()]
        self.assertNotIn("py", names)
        dom = conn.createXML(domain_xml("py", vcpus=2), 0)
        self.assertEqual(conn.lookupByName("py").UUIDString(), dom.UUIDString())
        state, maxmem, mem, ncpu, cputime = dom.info()
        self.assertEqual(state, libvirt.VIR_DOMAIN_RUNNING)
        self.assertEqual(maxmem, 16384)
        self.assertEqual(ncpu, 2)
        info, maps = dom.vcpus()
        self.assertEqual(len(info), 2)
        self.assertEqual(len(maps), 2)
        dom.pinVcpu(0, tuple(i == 0 for i in range(os.cpu_count())))
        self.assertEqual(dom.vcpus()[1][0][0], True)
        self.assertEqual(os.sched_getaffinity(self.vcpu_tids(dom)[0]), {0})
        stats = dom.getCPUStats(True)
        self.assertGreater(stats[0]["cpu_time"], 0)
        self.assertIn("py", [x.name() for x in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)])
        dom.destroy()
        with self.assertRaises(libvirt.libvirtError) as e:
            conn.lookupByName("py")
        self.assertEqual(e.exception.get_error_code(), libvirt.VIR_ERR_NO_DOMAIN)
        conn.close()

    # ---- hostile clients ----

    def test_hostile_packets(self):
        d = self.d
        before = virsh(d, "list", "--all").stdout
        # a frame length below a header, and one above the limit: dropped
        for n in (8, 64 << 20):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect(d.sock)
            s.sendall(struct.pack(">I", n) + b"\0" * 8)
            self.assertIsNone(read_frame(s), "length %d was not refused" % n)
            s.close()
        s = raw_open(d)
        # another program: an error reply, the connection stays
        s.sendall(frame(1, prog=0x11111111, serial=7))
        r = read_frame(s)
        self.assertEqual((r["serial"], r["status"]), (7, 1))
        # an unknown procedure: VIR_ERR_NO_SUPPORT (3)
        s.sendall(frame(9999, serial=8))
        r = read_frame(s)
        self.assertEqual((r["serial"], r["status"], error_code(r["body"])), (8, 1, 3))
        # garbage arguments: VIR_ERR_RPC (39); a string whose length exceeds the message
        s.sendall(frame(23, b"\xff\xff\xff\xf0abc", serial=9))
        r = read_frame(s)
        self.assertEqual((r["serial"], r["status"], error_code(r["body"])), (9, 1, 39))
        # a huge array count
        s.sendall(frame(344, struct.pack(">I", 0x7fffffff), serial=10))
        r = read_frame(s)
        self.assertEqual((r["serial"], r["status"]), (10, 1))
        # a line split across many writes
        f = frame(59, serial=11)
        for i in range(len(f)):
            s.send(f[i:i + 1])
        r = read_frame(s)
        self.assertEqual((r["serial"], r["status"]), (11, 0))
        s.close()
        # a client that disconnects mid-call, and 200 clients in a loop
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.sock)
        s.sendall(frame(1)[:20])
        s.close()
        for _ in range(200):
            s = socket.socket(socket.AF_UNIX)
            s.connect(d.sock)
            s.sendall(frame(66))
            s.close()
        self.assertEqual(virsh(d, "list", "--all").stdout, before)
        self.assertIsNone(d.proc.poll(), "strandd died")

    # ---- strand+ssh:// through a real sshd on 127.0.0.1 ----

    def test_ssh_uri(self):
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        if not os.path.exists(sshd) or not shutil.which("ssh") or not shutil.which("nc"):
            self.skipTest("needs openssh-server, openssh-client and netcat-openbsd")
        t = self.path("ssh")
        os.makedirs(t, exist_ok=True)
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
        for k in ("host", "client"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            os.path.join(t, k)], check=True)
        shutil.copy(os.path.join(t, "client.pub"), os.path.join(t, "authorized_keys"))
        sk = socket.socket()
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
        sk.close()
        write(os.path.join(t, "sshd_config"), "\n".join([
            "Port %d" % port, "ListenAddress 127.0.0.1",
            "HostKey " + os.path.join(t, "host"),
            "AuthorizedKeysFile " + os.path.join(t, "authorized_keys"),
            "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
            "PidFile " + os.path.join(t, "sshd.pid"), ""]))
        server = subprocess.Popen([sshd, "-D", "-e", "-f", os.path.join(t, "sshd_config")],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return True
            except OSError:
                return server.poll() is not None  # it exited: stop waiting

        try:
            wait_for(listening, what="sshd")
            if server.poll() is not None:
                raise AssertionError("sshd exited")
        except AssertionError:
            server.kill()
            self.fail("sshd did not start: %s" % server.communicate()[0])
        # The client's ssh, with the test's own known-hosts file (root's is left alone).
        wrapper = write(os.path.join(t, "ssh"), "#!/bin/sh\nexec ssh -o UserKnownHostsFile=%s "
                        "-o StrictHostKeyChecking=no -o BatchMode=yes \"$@\"\n"
                        % os.path.join(t, "known_hosts"))
        os.chmod(wrapper, 0o755)
        user = os.environ.get("USER") or "root"
        uri = ("strand+ssh://%s@127.0.0.1:%d/system?socket=%s&keyfile=%s&command=%s"
               "&proxy=netcat&no_tty=1" % (user, port, self.d.sock, os.path.join(t, "client"),
                                           wrapper))
        try:
            xml = write(self.path("remote.xml"), domain_xml("remote"))
            out = virsh(self.d, "version", uri=uri).stdout
            self.assertIn("Running hypervisor: STRAND", out)
            virsh(self.d, "create", xml, uri=uri)
            self.assertRegex(virsh(self.d, "list", uri=uri).stdout, r"\d+\s+remote\s+running")
            conn = libvirt.open(uri)
            self.assertEqual(conn.lookupByName("remote").info()[0], libvirt.VIR_DOMAIN_RUNNING)
            conn.lookupByName("remote").destroy()
            conn.close()
        finally:
            server.terminate()
            server.wait(10)

    # ---- a strategy across domains ----

    def test_credit_across_domains(self):
        """strandd --sched credit: schedinfo says credit, shares change live, both run."""
        top = tempfile.mkdtemp(prefix="strandd-credit-")
        d = Daemon(top, ["--sched", "credit"])
        d.start()
        try:
            for n in ("c1", "c2"):
                virsh(d, "create", write(os.path.join(top, n + ".xml"),
                                         domain_xml(n, vcpus=2, args="spin=1")))
            out = virsh(d, "schedinfo", "c1").stdout
            self.assertIn("Scheduler      : credit", out)
            out = virsh(d, "schedinfo", "c1", "--set", "cpu_shares=2048", "--live").stdout
            self.assertRegex(out, r"cpu_shares\s+: 2048")
            time.sleep(1)
            out = virsh(d, "domstats", "c1", "c2").stdout
            times = [int(x) for x in re.findall(r"vcpu\.\d\.time=(\d+)", out)]
            self.assertEqual(len(times), 4, out)
            for t in times:
                self.assertGreater(t, 0, out)
            for n in ("c1", "c2"):
                virsh(d, "destroy", n)
        finally:
            d.stop()
            shutil.rmtree(top, ignore_errors=True)

    # ---- faults ----

    def test_strandd_killed_and_restarted(self):
        d = self.d
        xml = write(self.path("keep.xml"), domain_xml("keep"))
        virsh(d, "define", xml)
        virsh(d, "start", "keep")
        conn = libvirt.open(d.uri)
        pid = self.vm_pid(conn.lookupByName("keep"))
        dom_id = virsh(d, "domid", "keep").stdout.strip()
        conn.close()
        d.stop(signal.SIGKILL)
        os.kill(pid, 0)  # the VM outlives its manager
        d.start()
        self.assertRegex(virsh(d, "list").stdout, r"%s\s+keep\s+running" % dom_id)
        virsh(d, "suspend", "keep")
        virsh(d, "resume", "keep")
        virsh(d, "destroy", "keep")
        def ended():
            try:
                with open("/proc/%d/status" % pid) as f:
                    return "zombie" in f.read()
            except OSError:
                return True
        wait_for(ended, what="the VM to end")
        virsh(d, "undefine", "keep")

    def test_killed_during_define_leaves_old_or_new(self):
        """strandd killed -9 while it writes definitions: every file is a whole document."""
        d = self.d
        path = os.path.join(self.top, "lib", "domains", "torn.xml")
        big = "<!-- %s -->" % ("x" * 200000)
        for i in range(8):
            xml = write(self.path("torn.xml"),
                        domain_xml("torn", vcpus=1 + i % 2, extra=big if i % 2 else ""))
            p = subprocess.Popen(["virsh", "-c", d.uri, "define", xml],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.002 * i)
            d.stop(signal.SIGKILL)
            p.wait(30)
            if os.path.exists(path) and os.path.exists(SCHEMA):
                r = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, "torn definition after kill %d: %s" % (i, r.stderr))
            d.start()
            # a temporary file of the killed write is cleaned up by the next strandd
            if os.path.isdir(os.path.dirname(path)):
                self.assertEqual([f for f in os.listdir(os.path.dirname(path)) if ".tmp." in f], [])
        virsh(d, "define", xml)
        self.assertIn("torn", virsh(d, "list", "--all", "--name").stdout.split())
        virsh(d, "undefine", "torn")

    def test_session_mode(self):
        """--session: sockets and VMs under $XDG_RUNTIME_DIR/strand, definitions under
        $XDG_DATA_HOME/strand."""
        top = tempfile.mkdtemp(prefix="strandd-session-")
        env = dict(os.environ, XDG_RUNTIME_DIR=os.path.join(top, "xdg-run"),
                   XDG_DATA_HOME=os.path.join(top, "xdg-data"))
        os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700)
        p = subprocess.Popen([STRANDD, "--session", "--strand", STRAND], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sock = os.path.join(top, "xdg-run", "strand", "strand-sock")
        try:
            wait_for(lambda: os.path.exists(sock), what="the session socket")
            uri = "strand+unix:///session?socket=" + sock
            self.assertIn("Running hypervisor: STRAND", virsh(self.d, "version", uri=uri).stdout)
            self.assertTrue(os.path.exists(os.path.join(top, "xdg-run", "strand", "strand-sock-ro")))
            xml = write(os.path.join(top, "s.xml"), domain_xml("sess"))
            virsh(self.d, "define", xml, uri=uri)
            self.assertTrue(os.path.exists(os.path.join(top, "xdg-data", "strand", "domains",
                                                        "sess.xml")))
            virsh(self.d, "undefine", "sess", uri=uri)
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(30), 0)
            shutil.rmtree(top, ignore_errors=True)

    def test_vm_killed_is_crashed(self):
        d = self.d
        xml = write(self.path("victim.xml"), domain_xml("victim"))
        virsh(d, "define", xml)
        virsh(d, "start", "victim")
        conn = libvirt.open(d.uri)
        dom = conn.lookupByName("victim")
        os.kill(self.vm_pid(dom), signal.SIGKILL)
        wait_for(lambda: "shut off" in virsh(d, "domstate", "victim").stdout, what="victim shut off")
        self.assertIn("crashed", virsh(d, "domstate", "victim", "--reason").stdout)
        self.assertIsNone(d.proc.poll(), "strandd died")
        virsh(d, "start", "victim")
        virsh(d, "destroy", "victim")
        virsh(d, "undefine", "victim")
        conn.close()

    # ---- helpers ----

    def vm_pid(self, dom):
        """The strand process of a running domain, from strandd's state file."""
        import json
        try:
            with open(os.path.join(self.top, "run", dom.name() + ".state")) as f:
                return json.load(f)["pid"]
        except (OSError, ValueError, KeyError):
            return None

    def vcpu_tids(self, dom):
        """The vCPU thread ids, as the VM's own monitor reports them (query-cpus-fast)."""
        import json
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(os.path.join(self.top, "run", dom.name() + ".qmp"))
        f = s.makefile("rw")
        f.readline()  # greeting
        f.write('{"execute":"qmp_capabilities"}\n{"execute":"query-cpus-fast"}\n')
        f.flush()
        tids = {}
        while not tids:
            msg = json.loads(f.readline())
            if isinstance(msg.get("return"), list):
                tids = {c["cpu-index"]: c["thread-id"] for c in msg["return"]}
        s.close()
        return tids


if __name__ == "__main__":
    unittest.main(verbosity=2)
