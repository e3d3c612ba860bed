#!/usr/bin/python3
# A DNS client for the lab's tests (Python 3 standard library only, so that it
# also runs inside a lab host: `machines.sh run DIR HOST python3 - ARGS <dnsquery.py`).
# Written apart from the CoreDNS stand-in (tests/lab/standin), so that one's
# mistakes are not the other's.
#
#   dnsquery.py [--tcp | --udp] [--type A|AAAA|SOA|PTR|TXT|...] [--timeout S] SERVER NAME...
#
# Over TCP every query goes on one connection, sent at once before any answer
# is read (RFC 1035 4.2.2: each message after its two-byte length); over UDP
# one datagram each. One line per answer: NAME RCODE [flags] then each record of
# the answer section as TYPE VALUE (A and AAAA as addresses, others as hex),
# then "authority" and the authority section's types.
# Exit 0 when every query was answered (whatever its RCODE), 3 when one was not
# (refused connection, timeout, closed connection), 2 on bad usage.
import os
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def query(name, qtype, qid):
    labels = [x for x in name.rstrip(".").split(".") if x]
    wire = b"".join(bytes([len(x)]) + x.encode("ascii") for x in labels) + b"\0"
    # Recursion desired, as stub resolvers ask.
    return struct.pack("!6H", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack("!HH", qtype, 1)


def read_name(msg, off):
    labels, end = [], None
    for _ in range(128):
        n = msg[off]
        if n >= 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            continue
        off += 1
        if n == 0:
            return ".".join(labels), end if end is not None else off
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    raise ValueError("a name that does not end")


def describe(name, want_id, msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    if qid != want_id or not flags & 0x8000:
        raise ValueError("not the response to the query (id %d, flags %#x)" % (qid, flags))
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    out = [name, RCODES.get(flags & 0xF, str(flags & 0xF))]
    out += [f for f, bit in (("aa", 0x400), ("tc", 0x200), ("ra", 0x80)) if flags & bit]
    names = {v: k for k, v in TYPES.items()}
    for i in range(an + ns):
        _, off = read_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        rdata = msg[off + 10:off + 10 + rdlen]
        off += 10 + rdlen
        if i == an:
            out.append("authority")
        if rtype in (1, 28):
            value = socket.inet_ntop(socket.AF_INET if rtype == 1 else socket.AF_INET6, rdata)
        else:
            value = rdata.hex()
        out += [names.get(rtype, str(rtype))] + ([value] if i < an else [])
    return " ".join(out)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buf += chunk
    return buf


def main(argv):
    proto, qtype, timeout, args = "tcp", 1, 3.0, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--tcp", "--udp"):
            proto = a[2:]
        elif a == "--type" and i + 1 < len(argv) and argv[i + 1].upper() in TYPES:
            qtype = TYPES[argv[i + 1].upper()]
            i += 1
        elif a == "--timeout" and i + 1 < len(argv):
            timeout = float(argv[i + 1])
            i += 1
        elif a.startswith("-"):
            sys.exit("usage: dnsquery.py [--tcp|--udp] [--type T] [--timeout S] SERVER NAME...")
        else:
            args.append(a)
        i += 1
    if len(args) < 2:
        sys.exit("usage: dnsquery.py [--tcp|--udp] [--type T] [--timeout S] SERVER NAME...")
    server, names = args[0], args[1:]
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    ids = [int.from_bytes(os.urandom(2), "big") for _ in names]
    try:
        if proto == "tcp":
            with socket.create_connection((server, 53), timeout=timeout) as s:
                s.sendall(b"".join(struct.pack("!H", len(q)) + q
                                   for q in (query(n, qtype, qid) for n, qid in zip(names, ids))))
                for n, qid in zip(names, ids):
                    msg = recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
                    print(describe(n, qid, msg))
        else:
            with socket.socket(fam, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                for n, qid in zip(names, ids):
                    s.sendto(query(n, qtype, qid), (server, 53))
                    msg, _ = s.recvfrom(65535)
                    print(describe(n, qid, msg))
    except (OSError, ConnectionError, ValueError) as e:
        print("dnsquery: no answer from %s over %s: %s" % (server, proto.upper(), e), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
