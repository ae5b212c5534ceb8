#!/usr/bin/python3
"""Seed inputs for fuzz-rpc: the calls virsh makes, as frames of libvirt's remote protocol.

Usage: tests/fuzz/rpc_seeds.py DIR  (writes one file per seed; byte 0 picks the socket kind,
b"\\xff\\xfe" separates writes, as fuzz_rpc.c reads its input)."""
import os
import struct
import sys

P = 0x20008086
SEP = b"\xff\xfe"


def frame(proc, body=b"", serial=1, prog=P, type_=0):
    hdr = struct.pack(">IIiiIi", prog, 1, proc, type_, serial, 0)
    return struct.pack(">I", 4 + len(hdr) + len(body)) + hdr + body


def s(x):
    b = x.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)


def u(*v):
    return b"".join(struct.pack(">I", x & 0xffffffff) for x in v)


def dom(name, uuid=b"\1" * 16, id_=-1):
    return s(name) + uuid + struct.pack(">i", id_)


OPEN = frame(66) + SEP + frame(60, u(9)) + SEP + frame(1, u(1) + s("strand:///system") + u(0))
XML = ("<domain type='kvm'><name>f</name><metadata><strand:config "
       "xmlns:strand='http://strand.dev/schemas/domain/1.0'><strand:guest program='idle'/>"
       "</strand:config></metadata><memory unit='MiB'>16</memory><vcpu>2</vcpu>"
       "<os><type arch='x86_64'>hvm</type></os></domain>")
seeds = {
    "open": OPEN,
    "list": OPEN + SEP + frame(273, u(1, 0)) + SEP + frame(4) + SEP + frame(6),
    "define": OPEN + SEP + frame(11, s(XML)) + SEP + frame(23, s("f")) + SEP +
              frame(14, dom("f") + u(0)) + SEP + frame(212, dom("f") + u(0)) + SEP +
              frame(223, dom("f") + u(5, 0)) + SEP + frame(344, u(0, 0, 0)) + SEP +
              frame(35, dom("f")),
    "params": OPEN + SEP + frame(11, s(XML)) + SEP +
              frame(219, dom("f") + u(1) + s("cpu_shares") + u(4) + struct.pack(">Q", 512) + u(2)),
    "pins": OPEN + SEP + frame(11, s(XML)) + SEP + frame(225, dom("f") + u(0, 1, 1, 2)) + SEP +
            frame(230, dom("f") + u(2, 1, 2)) + SEP + frame(279, dom("f") + u(1, 1, 2)),
    "events": OPEN + SEP + frame(316, u(0, 0)) + SEP + frame(317, u(1)),
    "keepalive": OPEN + SEP + frame(1, prog=0x6b656570, type_=2),
    "unknown": OPEN + SEP + frame(9999) + SEP + frame(1, prog=0x1234),
}
out = sys.argv[1] if len(sys.argv) > 1 else "corpus-rpc"
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    for kind in (0, 1):
        with open(os.path.join(out, "%s-%d" % (name, kind)), "wb") as f:
            f.write(bytes([kind]) + data)
print("%d seeds in %s" % (2 * len(seeds), out))
