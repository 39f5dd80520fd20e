#!/usr/bin/env python3
"""The kernel's side of the interop tests: small TCP clients and servers on
Linux sockets, run inside the test's network namespace. Each subcommand
prints one line of results (key=value) and exits non-zero on any failure.
Traffic goes only to the address given, inside the test's namespace."""
import hashlib
import os
import resource
import socket
import struct
import sys
import threading
import time

CHUNK = 1 << 16


def out(**kv):
    print(" ".join(f"{k}={v}" for k, v in kv.items()), flush=True)


def connect(host, port, timeout=30):
    s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def recv_all(s, sink=None):
    h, n = hashlib.sha256(), 0
    while True:
        b = s.recv(CHUNK)
        if not b:
            return n, h.hexdigest()
        h.update(b)
        n += len(b)
        if sink:
            sink.write(b)


def cmd_send(host, port, path):
    """Send a file, half-close, read to end of file: kernel -> utcp."""
    s = connect(host, port)
    t0 = time.monotonic()
    with open(path, "rb") as f:
        s.sendfile(f)
    s.shutdown(socket.SHUT_WR)
    n, _ = recv_all(s)
    dt = time.monotonic() - t0
    size = os.path.getsize(path)
    s.close()
    out(sent=size, received=n, seconds=f"{dt:.3f}", mbit=f"{size * 8 / dt / 1e6:.0f}")


def cmd_recv(host, port, first=""):
    """Optionally send a line, half-close, read to end of file: utcp -> kernel."""
    s = connect(host, port)
    t0 = time.monotonic()
    if first:
        s.sendall(first.encode())
    s.shutdown(socket.SHUT_WR)
    n, digest = recv_all(s)
    dt = time.monotonic() - t0
    s.close()
    out(received=n, sha256=digest, seconds=f"{dt:.3f}", mbit=f"{n * 8 / dt / 1e6:.0f}")


def cmd_echo(host, port, nbytes):
    """Send nbytes of random data and read them back at the same time."""
    nbytes = int(nbytes)
    s = connect(host, port, timeout=120)
    block = os.urandom(1 << 20)
    sent_hash = hashlib.sha256()
    result = {}

    def reader():
        result["n"], result["digest"] = recv_all(s)

    t = threading.Thread(target=reader)
    t.start()
    t0 = time.monotonic()
    left = nbytes
    while left:
        b = block[: min(left, len(block))]
        s.sendall(b)
        sent_hash.update(b)
        left -= len(b)
    s.shutdown(socket.SHUT_WR)
    t.join()
    dt = time.monotonic() - t0
    s.close()
    ok = result["n"] == nbytes and result["digest"] == sent_hash.hexdigest()
    out(sent=nbytes, received=result["n"], intact=ok, seconds=f"{dt:.3f}",
        mbit=f"{nbytes * 8 / dt / 1e6:.0f}")
    sys.exit(0 if ok else 1)


def cmd_many(host, port, count):
    """count short connections in a row to an echo server, each checked."""
    bad = 0
    for i in range(int(count)):
        msg = f"connection {i} says hello\n".encode()
        s = connect(host, port, timeout=10)
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
        n, digest = recv_all(s)
        s.close()
        if digest != hashlib.sha256(msg).hexdigest():
            bad += 1
    out(connections=count, bad=bad)
    sys.exit(1 if bad else 0)


def cmd_hold(host, port, count):
    """count connections open at once to an echo server, each echoing its own data."""
    count = int(count)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, count + 64), max(hard, count + 64)))
    socks = []
    for i in range(count):
        socks.append(connect(host, port, timeout=20))
    for i, s in enumerate(socks):
        s.sendall(f"socket {i} of {count}\n".encode())
    bad = 0
    for i, s in enumerate(socks):
        want = f"socket {i} of {count}\n".encode()
        got = b""
        while len(got) < len(want):
            b = s.recv(len(want) - len(got))
            if not b:
                break
            got += b
        bad += got != want
    for s in socks:
        s.shutdown(socket.SHUT_WR)
    for s in socks:
        n, _ = recv_all(s)
        bad += n != 0
        s.close()
    out(held=count, bad=bad)
    sys.exit(1 if bad else 0)


def cmd_halfclose(host, port, flag):
    """Send a line, shut down writing, read a little, wait until the test
    has looked at both sides (flag file), then read the rest."""
    s = connect(host, port)
    s.sendall(b"hello from the kernel\n")
    s.shutdown(socket.SHUT_WR)
    h, n = hashlib.sha256(), 0
    while n < 65536:
        b = s.recv(65536 - n)
        if not b:
            break
        h.update(b)
        n += len(b)
    out(phase="waiting", received=n)
    deadline = time.monotonic() + 30
    while not os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.05)
    while True:
        b = s.recv(CHUNK)
        if not b:
            break
        h.update(b)
        n += len(b)
    s.close()
    out(phase="done", received=n, sha256=h.hexdigest())


def cmd_connect_refused(host, port):
    try:
        connect(host, port, timeout=5)
    except ConnectionRefusedError as e:
        out(result="refused", error=repr(e.strerror))
        return
    except OSError as e:
        out(result="other", error=repr(str(e)))
        sys.exit(1)
    out(result="connected")
    sys.exit(1)


def serve(port, handler, count):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", int(port)))
    ls.listen(1024)
    print("listening", flush=True)
    for _ in range(int(count)):
        c, peer = ls.accept()
        handler(c)
        c.close()
    ls.close()


def cmd_serve_echo(port, count):
    """An echo server for count connections, one at a time."""
    def handler(c):
        while True:
            b = c.recv(CHUNK)
            if not b:
                break
            c.sendall(b)
    serve(port, handler, count)


def cmd_serve_sink(port, count):
    """A discard server printing count and SHA-256 per connection."""
    def handler(c):
        t0 = time.monotonic()
        n, digest = recv_all(c)
        dt = time.monotonic() - t0
        out(received=n, sha256=digest, seconds=f"{dt:.3f}", mbit=f"{n * 8 / max(dt, 1e-6) / 1e6:.0f}")
    serve(port, handler, count)


def cmd_inject(ifname, dst_mac, src_ip, dst_ip, count):
    """Write malformed frames into the device from the kernel's side."""
    mac = bytes.fromhex(dst_mac.replace(":", ""))
    me = bytes.fromhex("02aabbccddee")
    sip, dip = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)

    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack(f"!{len(b) // 2}H", b))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF

    def ip(payload, proto=6, total=None, bad_sum=False, frag=0x4000):
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total or 20 + len(payload), 1, frag, 64,
                        proto, 0, sip, dip)
        c = csum(h) ^ (0x5555 if bad_sum else 0)
        return h[:10] + struct.pack("!H", c) + h[12:] + payload

    def tcp(bad_sum=False):
        t = struct.pack("!HHIIBBHHH", 4000, 9, 1, 0, 0x50, 0x10, 1000, 0, 0)
        pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(t))
        c = csum(pseudo + t) ^ (0x1234 if bad_sum else 0)
        return t[:16] + struct.pack("!H", c) + t[18:]

    eth = mac + me
    frames = [
        # (a frame shorter than an Ethernet header: the kernel refuses to
        # send one; the unit tests cover it)
        eth + b"\x08\x00" + ip(tcp())[:12],                  # truncated IPv4
        eth + b"\x08\x00" + ip(tcp(), bad_sum=True),         # bad IP checksum
        eth + b"\x08\x00" + ip(tcp(bad_sum=True)),           # bad TCP checksum
        eth + b"\x08\x00" + ip(tcp(), total=400),            # total length past the frame
        eth + b"\x08\x00" + ip(tcp()[:10]),                  # TCP shorter than its header
        eth + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00",  # ARP cut short
        eth + b"\x08\x06" + b"\x00\x06\x08\x00\x06\x04\x00\x01" + b"\x11" * 20,  # ARP, hw 6
        eth + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x07" + b"\x22" * 20,  # ARP op 7
        eth + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\xff" * 6 + sip +
        b"\0" * 6 + dip,                                     # ARP from a broadcast sender
        eth + b"\x86\xdd" + b"\x60" + b"\0" * 39,             # IPv6
        eth + b"\x08\x00" + ip(b"\x08\x00" + b"\0" * 6, proto=1, frag=0x2000 | 8191),  # frag past 64K
    ]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    for _ in range(int(count)):
        for f in frames:
            s.send(f)
    s.close()
    out(injected=int(count) * len(frames), kinds=len(frames))


COMMANDS = {
    "send": cmd_send, "recv": cmd_recv, "echo": cmd_echo, "many": cmd_many,
    "hold": cmd_hold, "halfclose": cmd_halfclose, "refused": cmd_connect_refused,
    "serve-echo": cmd_serve_echo, "serve-sink": cmd_serve_sink, "inject": cmd_inject,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: kpeer.py {{{','.join(COMMANDS)}}} ARGS...", file=sys.stderr)
        sys.exit(2)
    try:
        COMMANDS[sys.argv[1]](*sys.argv[2:])
    except OSError as e:
        print(f"kpeer {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
