#!/usr/bin/env python3
"""Fault-injecting proxy in front of fakekube (vendored; docrun owns this copy, see README.md).
modes (comma-separated):
  hang          accept, never answer
  e500:N        first N requests answer 500, then proxy
  r429:N:S      first N requests answer 429 Retry-After S, then proxy
  badjson       every answer 200 with malformed JSON
  badjson-list  list requests (no name) get malformed JSON; others proxied
  u401          every answer 401
  watchstall    watch requests get 200 headers and no events, forever
  biglist:N     configmaps list across namespaces returns N items (metadata list)
  slow:S        sleep S seconds before every answer
"""
import sys, time, json, threading, socket, argparse, http.client, urllib.parse, ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ap = argparse.ArgumentParser()
ap.add_argument('--upstream', default='')
ap.add_argument('--mode', default='')
ap.add_argument('--port', type=int, default=0)
ap.add_argument('--tls-cert'); ap.add_argument('--tls-key')
ap.add_argument('--log', default='')
a = ap.parse_args()
modes = {}
for m in a.mode.split(','):
    if not m: continue
    p = m.split(':'); modes[p[0]] = p[1:]
lock = threading.Lock(); count = [0]
logf = open(a.log, 'a') if a.log else None
def log(s):
    if logf:
        with lock: logf.write(f"{time.time():.3f} {s}\n"); logf.flush()
up = urllib.parse.urlparse(a.upstream) if a.upstream else None

class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *x): pass
    def send_json(self, code, body, extra=None):
        b = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(b)))
        for k, v in (extra or {}).items(): self.send_header(k, v)
        self.end_headers(); self.wfile.write(b)
    def handle_any(self):
        with lock:
            count[0] += 1; n = count[0]
        log(f"#{n} {self.command} {self.path}")
        ln = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(ln) if ln else None
        if 'slow' in modes: time.sleep(float(modes['slow'][0]))
        if 'hang' in modes:
            time.sleep(3600); return
        if 'u401' in modes:
            return self.send_json(401, {"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})
        if 'e500' in modes and n <= int(modes['e500'][0]):
            return self.send_json(500, {"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected 500","code":500})
        if 'r429' in modes and n <= int(modes['r429'][0]):
            return self.send_json(429, {"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests","reason":"TooManyRequests","code":429}, {'Retry-After': modes['r429'][1]})
        if 'badjson' in modes:
            return self.send_json(200, b'{"kind": "APIVersions", "versions": [')
        q = urllib.parse.urlparse(self.path); qs = urllib.parse.parse_qs(q.query)
        if 'badjson-list' in modes and q.path.endswith('/configmaps'):
            return self.send_json(200, b'{"kind":"List","items":[{"metadata":')
        if 'watchstall' in modes and qs.get('watch', [''])[0] in ('1', 'true'):
            self.send_response(200); self.send_header('Content-Type','application/json'); self.send_header('Transfer-Encoding','chunked'); self.end_headers(); self.wfile.flush()
            log(f"#{n} stalling watch"); time.sleep(3600); return
        if 'allflood' in modes:
            self.send_response(200); self.send_header('Content-Type','application/json'); self.send_header('Transfer-Encoding','chunked'); self.end_headers()
            b = b'{"major":"1","minor":"' ; self.wfile.write(b'%x\r\n' % len(b) + b + b'\r\n')
            blk = b'a' * (1 << 20); sent = 0
            try:
                while True:
                    self.wfile.write(b'%x\r\n' % len(blk) + blk + b'\r\n'); sent += len(blk)
            except Exception as e:
                log(f"#{n} flood ended after {sent>>20} MiB: {e}"); return
        if 'watchflood' in modes and qs.get('watch', [''])[0] in ('1', 'true'):
            self.send_response(200); self.send_header('Content-Type','application/json'); self.send_header('Transfer-Encoding','chunked'); self.end_headers()
            b = b'{"type":"ADDED","object":{"metadata":{"name":"' ; self.wfile.write(b'%x\r\n' % len(b) + b + b'\r\n')
            blk = b'a' * (1 << 20); sent = 0; lim = int(modes['watchflood'][0]) if modes['watchflood'] else 1 << 62
            try:
                while sent < lim:
                    self.wfile.write(b'%x\r\n' % len(blk) + blk + b'\r\n'); sent += len(blk)
            except Exception as e:
                log(f"#{n} flood ended after {sent>>20} MiB: {e}"); return
            log(f"#{n} flood sent {sent>>20} MiB"); time.sleep(3600); return
        if 'biglist' in modes and q.path in ('/api/v1/configmaps',) and self.command == 'GET' and 'watch' not in qs:
            N = int(modes['biglist'][0])
            self.send_response(200); self.send_header('Content-Type','application/json'); self.send_header('Transfer-Encoding','chunked'); self.end_headers()
            def chunk(b):
                self.wfile.write(b'%x\r\n' % len(b) + b + b'\r\n')
            c = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
            hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'connection', 'content-length')}
            c.request('GET', self.path, headers=hdrs); real = json.loads(c.getresponse().read()); c.close()
            chunk(b'{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"1"},"items":[')
            buf = [json.dumps(it) + ',' for it in real.get('items', [])]
            for i in range(N):
                buf.append('%s{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"cm-%d","namespace":"ns-%d","uid":"u-%d","resourceVersion":"1"}}' % (',' if i else '', i, i % 100, i))
                if len(buf) >= 1000: chunk(''.join(buf).encode()); buf = []
            if buf: chunk(''.join(buf).encode())
            chunk(b']}'); self.wfile.write(b'0\r\n\r\n'); log(f"#{n} biglist sent {N}"); return
        # proxy
        if up.scheme == 'https':
            c = http.client.HTTPSConnection(up.hostname, up.port, context=ssl._create_unverified_context(), timeout=3600)
        else:
            c = http.client.HTTPConnection(up.hostname, up.port, timeout=3600)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'connection', 'content-length')}
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ('transfer-encoding', 'connection', 'content-length'): continue
            self.send_header(k, v)
        self.send_header('Transfer-Encoding', 'chunked'); self.end_headers()
        while True:
            d = r.read1(65536)
            if not d: break
            self.wfile.write(b'%x\r\n' % len(d) + d + b'\r\n'); self.wfile.flush()
        self.wfile.write(b'0\r\n\r\n'); c.close()
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

srv = ThreadingHTTPServer(('127.0.0.1', a.port), H)
srv.daemon_threads = True
scheme = 'http'
if a.tls_cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(a.tls_cert, a.tls_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True); scheme = 'https'
print(f"READY {scheme}://127.0.0.1:{srv.server_address[1]}", flush=True)
srv.serve_forever()
