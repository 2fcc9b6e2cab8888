#!/usr/bin/env python3
"""A minimal tcp-conform driver (protocol version 2, docs/adapter-protocol.md) in Python.

It shows the whole shape of a driver: read a command per line, call into your stack, print what the
stack sent (`packet HEX`) and what it told the application (`accepted`, `data`, ...), then one answer
(`ok` or `err`). The "stack" here is a stand-in to replace with yours: it keeps listeners, opens
connections by sending a SYN, and answers segments for ports nobody listens on with a RST (RFC 9293
§3.10.7.1). It passes `tcp-conform check-driver`, not the TCP properties.

Version 2 adds application controls. This one offers `ttl` and `dscp` and honours them on what a
connection sends afterwards (its RST on abort); a real driver would call setsockopt(IP_TTL / IP_TOS)
here, and offer only the controls its stack really implements (keepalive, reading, read, nodelay,
timeout, ttl, dscp, urgent, push: see the protocol document). A driver offering `push` gets
`write CONN HEX more` for data written without the PUSH flag (send(MSG_MORE) on a socket); one whose
profile says `"pushEvents": true` prints `data CONN HEX push` where the peer pushed.

    tcp-conform check-driver --stack "process:python3 examples/python-driver/driver.py"
"""
import random
import struct
import sys


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip(addr: str) -> bytes:
    return bytes(int(x) for x in addr.split("."))


def tcp_packet(src, dst, sport, dport, seq, ack, flags, window=0, ttl=64, dscp=0) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0)
    pseudo = ip(src) + ip(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, dscp << 2, 20 + len(tcp), 0, 0, ttl, 6, 0, ip(src), ip(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + tcp


FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


class ToyStack:
    """Replace with calls into the stack under test."""

    def __init__(self, addr: str, seed: int):
        self.addr, self.rng = addr, random.Random(seed)
        self.listeners, self.conns, self.out = set(), {}, []
        self.iss, self.ip_fields = {}, {}

    def connect(self, lport, raddr, rport) -> str:
        cid = f"c{len(self.conns) + 1}"
        iss = self.rng.getrandbits(32)
        self.conns[cid] = (lport, raddr, rport)
        self.iss[cid], self.ip_fields[cid] = iss, {"ttl": 64, "dscp": 0}
        self.out.append(tcp_packet(self.addr, raddr, lport, rport, iss, 0, SYN, 65535))
        return cid

    def control(self, cid, name, value) -> None:
        """`control CONN ttl N` / `dscp N`: the IP fields of what the connection sends from now on."""
        lo, hi = {"ttl": (1, 255), "dscp": (0, 63)}[name]
        if not lo <= value <= hi:
            raise ValueError(f"{name} must be {lo}..{hi}")
        self.ip_fields[cid][name] = value

    def abort(self, cid) -> None:
        """ABORT in SYN-SENT: a RST at SND.NXT (the ISN + 1), with the connection's TTL and codepoint."""
        lport, raddr, rport = self.conns.pop(cid)
        f = self.ip_fields.pop(cid)
        seq = (self.iss.pop(cid) + 1) & 0xFFFFFFFF
        self.out.append(tcp_packet(self.addr, raddr, lport, rport, seq, 0, RST, 0, f["ttl"], f["dscp"]))

    def deliver(self, pkt: bytes):
        ihl = (pkt[0] & 15) * 4
        src = ".".join(str(b) for b in pkt[12:16])
        sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", pkt[ihl:ihl + 14])
        seg_len = len(pkt) - ihl - (off >> 4) * 4 + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
        if dport in self.listeners or flags & RST:
            return
        if flags & ACK:
            self.out.append(tcp_packet(self.addr, src, dport, sport, ack, 0, RST))
        else:
            self.out.append(tcp_packet(self.addr, src, dport, sport, 0, (seq + seg_len) & 0xFFFFFFFF, RST | ACK))


def main():
    stack = None
    out = sys.stdout
    for line in sys.stdin:
        cmd, *args = line.split()
        try:
            if cmd == "hello":
                reply = "ok hello 2 name=python-toy clock=virtual state=1 controls=ttl,dscp"
            elif cmd == "quit":
                print("ok", file=out, flush=True)
                return
            elif cmd == "reset":
                stack, reply = ToyStack(args[0], int(args[1])), "ok"
            elif cmd == "listen":
                stack.listeners.add(int(args[0]))
                reply = "ok"
            elif cmd == "connect":
                reply = "ok " + stack.connect(int(args[0]), args[1], int(args[2]))
            elif cmd == "deliver":
                stack.deliver(bytes.fromhex(args[0]))
                reply = "ok"
            elif cmd == "control" and args[0] in stack.conns and len(args) == 3 and args[1] in ("ttl", "dscp"):
                stack.control(args[0], args[1], int(args[2]))
                reply = "ok"
            elif cmd == "abort" and args[0] in stack.conns:
                stack.abort(args[0])
                reply = "ok"
            elif cmd == "control":
                reply = f"err control {' '.join(args[1:])}: not offered, or {args[0]} not connected"
            elif cmd in ("write", "shutdown", "close", "abort"):
                reply = "ok" if args[0] in stack.conns and cmd != "write" else f"err {args[0]}: not connected"
            elif cmd == "advance":
                reply = "ok"
            elif cmd == "next":
                reply = "ok none"
            elif cmd == "state":
                tup = (int(args[0]), args[1], int(args[2]))
                reply = "ok SYN-SENT" if tup in stack.conns.values() else "ok LISTEN" if tup[0] in stack.listeners else "ok CLOSED"
            else:
                reply = f"err unknown command {cmd}"
        except Exception as e:  # a bad command must not kill the driver
            reply = f"err {type(e).__name__}: {e}"
        for p in stack.out if stack else []:
            print("packet " + p.hex(), file=out)
        if stack:
            stack.out.clear()
        print(reply, file=out, flush=True)


if __name__ == "__main__":
    main()
