#!/usr/bin/env python3
"""STAND-IN for the upstream release servers (dl.k8s.io, github.com, ...) in
the bundle tests: a small HTTP server on 127.0.0.1 only, serving the files a
test made under --root. It answers GET and HEAD with 200, 206 for a
"Range: bytes=N-" or "bytes=N-M" request, 416 for a range past the end and
404 for anything it does not have. Test modes:
  --drop SUFFIX:BYTES  the first GET of a path ending in SUFFIX sends the full
                       Content-Length, then BYTES bytes, and drops the
                       connection (a cut-off download)
  --ignore-range       answer every GET with the whole file (200), as a
                       server without Range support does
Every request is logged to --log as "GET PATH range=VALUE STATUS".
It writes the port it listens on to --port-file, then serves until killed.
"""
import argparse
import http.server
import os
import re
import sys
import threading

BANNER = "k8s-wizard test stand-in: local release server (not dl.k8s.io, not github.com)"


def main():
    ap = argparse.ArgumentParser(description=BANNER)
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--ignore-range", action="store_true")
    args = ap.parse_args()
    root = os.path.realpath(args.root)
    drops = {}
    for d in args.drop:
        suffix, n = d.rsplit(":", 1)
        drops[suffix] = int(n)
    lock = threading.Lock()
    log = open(args.log, "a", buffering=1)
    log.write("# " + BANNER + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def note(self, status):
            with lock:
                log.write("%s %s range=%s %s\n" % (self.command, self.path,
                                                   self.headers.get("Range", "-"), status))

        def send_plain(self, status, text):
            body = text.encode()
            self.note(status)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Stand-In", "k8s-wizard test release server")
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            rel = self.path.split("?", 1)[0].lstrip("/")
            path = os.path.realpath(os.path.join(root, rel))
            if not path.startswith(root + os.sep) or not os.path.isfile(path):
                self.send_plain(404, "stand-in: not found\n")
                return
            with open(path, "rb") as f:
                data = f.read()
            size = len(data)
            start, end, status = 0, size - 1, 200
            rng = self.headers.get("Range")
            if rng and not args.ignore_range:
                m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
                if not m:
                    self.send_plain(400, "stand-in: bad range\n")
                    return
                start = int(m.group(1))
                if m.group(2):
                    end = min(int(m.group(2)), size - 1)
                if start >= size:
                    self.note(416)
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % size)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            body = data[start:end + 1]
            cut = None
            if self.command == "GET":
                with lock:
                    for suffix, n in list(drops.items()):
                        if rel.endswith(suffix):
                            cut = n
                            del drops[suffix]
            self.note("%d%s" % (status, "" if cut is None else " dropped-after-%d" % cut))
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "none" if args.ignore_range else "bytes")
            self.send_header("X-Stand-In", "k8s-wizard test release server")
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
            self.end_headers()
            if self.command != "GET":
                return
            if cut is not None:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    print(BANNER, file=sys.stderr, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
