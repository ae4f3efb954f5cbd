#!/usr/bin/env python3
"""A private Go module proxy for the lab, with HTTP basic auth (started by `scripts/lab.sh up`).

    python3 lab-goproxy.py --modules DIR --auth-file FILE [--listen 0.0.0.0:3000]
                           [--tls-listen 0.0.0.0:3443 --tls-cert CERT --tls-key KEY]

Serves the GOPROXY protocol (https://go.dev/ref/mod#goproxy-protocol) for modules kept as plain
directories: DIR/<module path>/<version>/ holds the files of that version, its go.mod included.

    GET /<module>/@v/list              the versions in DIR/<module>/, one a line
    GET /<module>/@v/<version>.info    {"Version": ..., "Time": ...}
    GET /<module>/@v/<version>.mod     the version's go.mod
    GET /<module>/@v/<version>.zip     the module zip, built on the fly
    GET /<module>/@latest              the .info of the highest release (else pre-release)

Module paths and versions arrive case-encoded ("!" before a lower-case letter stands for the
upper-case letter). The zip holds every regular file of the version directory under the prefix
"<module>@<version>/", sorted by name, with one fixed timestamp, so the same files always give the
same bytes and the same h1: hash (in go.sum). As in real module zips, nested modules (directories
with their own go.mod), vendor/ trees and VCS directories are left out.

Every request needs basic auth with the "user:password" of FILE (one line); anything else gets 401
with a WWW-Authenticate header. Standard library only; nothing is written to disk.

The go command sends credentials to a proxy only over HTTPS: it reads .netrc for https:// URLs only,
and refuses a proxy URL with user:password@ over http://. So the go command needs the TLS listener;
the plain HTTP one is for curl and for checking the 401.
"""
import argparse
import base64
import hmac
import io
import json
import os
import re
import ssl
import sys
import threading
import zipfile
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

# One time for every version: the .info Time and every zip entry (zip times start in 1980).
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
FIXED_TIME_RFC3339 = '2024-01-01T00:00:00Z'
REALM = 'lab-goproxy'

SEMVER = re.compile(
    r'^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)'
    r'(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+incompatible)?$'
)
# A path element of a module path (golang.org/x/mod/module.CheckPath, simplified).
PATH_ELEMENT = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._~-]*$')
ROUTE = re.compile(r'^/(?P<module>[^@]+?)/(?:@v/(?P<file>list|[^/]+\.(?:info|mod|zip))|(?P<latest>@latest))$')
SKIP_DIRS = {'.git', '.hg', '.svn', '.bzr', 'vendor'}


class NotFound(Exception):
    pass


def decode_case(escaped):
    """Undo the module path case-encoding ("!m" means "M"); upper case in the input is invalid."""
    out = []
    bang = False
    for c in escaped:
        if bang:
            if not 'a' <= c <= 'z':
                raise NotFound(f'invalid escaped path {escaped!r}')
            out.append(c.upper())
            bang = False
        elif c == '!':
            bang = True
        elif 'A' <= c <= 'Z':
            raise NotFound(f'invalid escaped path {escaped!r}: upper case must be escaped with "!"')
        else:
            out.append(c)
    if bang:
        raise NotFound(f'invalid escaped path {escaped!r}')
    return ''.join(out)


def semver_key(version):
    """Sort key for a semantic version: releases above their pre-releases (semver.org rule 11)."""
    m = SEMVER.match(version)
    major, minor, patch, pre = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    if pre is None:
        return (major, minor, patch, 1, ())
    idents = tuple((0, int(p), '') if p.isdigit() else (1, 0, p) for p in pre.split('.'))
    return (major, minor, patch, 0, idents)


def is_pseudo(version):
    return re.search(r'[.-]?(?:0\.)?\d{14}-[0-9a-f]{12}(?:\+incompatible)?$', version) is not None


class Store:
    def __init__(self, root):
        self.root = os.path.realpath(root)

    def module_dir(self, module):
        elements = module.split('/')
        if '.' not in elements[0] or any(not PATH_ELEMENT.match(e) or e.endswith('.') for e in elements):
            raise NotFound(f'invalid module path {module!r}')
        d = os.path.realpath(os.path.join(self.root, *elements))
        if not d.startswith(self.root + os.sep) or not os.path.isdir(d):
            raise NotFound(f'unknown module {module}')
        return d

    def versions(self, module):
        d = self.module_dir(module)
        found = [v for v in os.listdir(d) if SEMVER.match(v) and os.path.isfile(os.path.join(d, v, 'go.mod'))]
        return sorted(found, key=semver_key)

    def version_dir(self, module, version):
        if not SEMVER.match(version):
            raise NotFound(f'{module}@{version}: not a canonical version (only canonical versions are served)')
        d = os.path.join(self.module_dir(module), version)
        if not os.path.isfile(os.path.join(d, 'go.mod')):
            raise NotFound(f'unknown version {module}@{version}')
        return d

    def info(self, module, version):
        self.version_dir(module, version)
        return json.dumps({'Version': version, 'Time': FIXED_TIME_RFC3339}).encode() + b'\n'

    def latest(self, module):
        versions = self.versions(module)
        releases = [v for v in versions if '-' not in v.split('+')[0]]
        candidates = releases or [v for v in versions if not is_pseudo(v)] or versions
        if not candidates:
            raise NotFound(f'no versions of {module}')
        return self.info(module, candidates[-1])

    def mod(self, module, version):
        with open(os.path.join(self.version_dir(module, version), 'go.mod'), 'rb') as f:
            return f.read()

    def files(self, top):
        """Relative paths ('/'-separated) of the files that belong in the zip, sorted."""
        out = []
        for dirpath, dirnames, filenames in os.walk(top):
            rel_dir = os.path.relpath(dirpath, top)
            keep = []
            for name in dirnames:
                sub = os.path.join(dirpath, name)
                if name in SKIP_DIRS or os.path.islink(sub) or os.path.exists(os.path.join(sub, 'go.mod')):
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in filenames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                out.append(name if rel_dir == '.' else f'{rel_dir}/{name}'.replace(os.sep, '/'))
        return sorted(out)

    def zip(self, module, version):
        top = self.version_dir(module, version)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, 'w') as z:
            for rel in self.files(top):
                entry = zipfile.ZipInfo(f'{module}@{version}/{rel}', date_time=FIXED_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.create_system = 3  # Unix, so the mode below is read as one
                entry.external_attr = 0o100644 << 16
                with open(os.path.join(top, rel), 'rb') as f:
                    z.writestr(entry, f.read())
        return buf.getvalue()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # one line instead of a traceback, e.g. for a plain HTTP request on the TLS port
        sys.stderr.write(f'{client_address[0]} connection error: {sys.exc_info()[1]!r}\n')


def make_handler(store, credentials):
    expected = 'Basic ' + base64.b64encode(credentials.encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        server_version = 'lab-goproxy/1'
        protocol_version = 'HTTP/1.1'
        timeout = 60

        def setup(self):
            super().setup()
            if isinstance(self.connection, ssl.SSLSocket):
                self.connection.do_handshake()  # here, not in the accepting thread

        def send(self, status, body, content_type='text/plain; charset=utf-8', headers=()):
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            self.send_header('Cache-Control', 'no-store')
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(body)

        def authorized(self):
            got = self.headers.get('Authorization', '')
            return hmac.compare_digest(got.encode(), expected.encode())

        def do_GET(self):  # noqa: N802 (http.server's naming)
            if not self.authorized():
                self.send(HTTPStatus.UNAUTHORIZED, b'401 Unauthorized: this module proxy needs credentials (netrc)\n',
                          headers=[('WWW-Authenticate', f'Basic realm="{REALM}", charset="UTF-8"')])
                return
            path = unquote(urlsplit(self.path).path)
            if path == '/':
                self.send(HTTPStatus.OK, f'{REALM}: serving {store.root}\n'.encode())
                return
            m = ROUTE.match(path)
            try:
                if not m:
                    raise NotFound(f'not a GOPROXY path: {path}')
                module = decode_case(m.group('module'))
                if m.group('latest'):
                    self.send(HTTPStatus.OK, store.latest(module), 'application/json')
                    return
                name = m.group('file')
                if name == 'list':
                    body = ''.join(v + '\n' for v in store.versions(module) if not is_pseudo(v))
                    self.send(HTTPStatus.OK, body.encode())
                    return
                version, ext = name.rsplit('.', 1)
                version = decode_case(version)
                if ext == 'info':
                    self.send(HTTPStatus.OK, store.info(module, version), 'application/json')
                elif ext == 'mod':
                    self.send(HTTPStatus.OK, store.mod(module, version))
                else:
                    self.send(HTTPStatus.OK, store.zip(module, version), 'application/zip')
            except NotFound as e:
                # 404 tells the go command to try the next proxy in GOPROXY, if any
                self.send(HTTPStatus.NOT_FOUND, f'{e}\n'.encode())

        do_HEAD = do_GET

        def log_message(self, fmt, *args):
            sys.stderr.write('%s %s\n' % (self.address_string(), fmt % args))

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--modules', required=True, help='folder of <module path>/<version>/ directories')
    p.add_argument('--auth-file', required=True, help='file holding "user:password" on one line')
    p.add_argument('--listen', default='0.0.0.0:3000', help='HOST:PORT of plain HTTP (default 0.0.0.0:3000)')
    p.add_argument('--tls-listen', help='HOST:PORT of HTTPS (needs --tls-cert and --tls-key)')
    p.add_argument('--tls-cert', help='PEM certificate chain of the HTTPS listener')
    p.add_argument('--tls-key', help='PEM private key of the HTTPS listener')
    a = p.parse_args()
    if bool(a.tls_listen) != bool(a.tls_cert and a.tls_key):
        p.error('--tls-listen needs --tls-cert and --tls-key, and they need --tls-listen')
    with open(a.auth_file, encoding='utf-8') as f:
        credentials = f.readline().rstrip('\r\n')
    if ':' not in credentials or credentials.startswith(':'):
        p.error(f'{a.auth_file}: expected one line "user:password"')
    if not os.path.isdir(a.modules):
        p.error(f'{a.modules}: not a directory')
    handler = make_handler(Store(a.modules), credentials)
    servers = []
    host, _, port = a.listen.rpartition(':')
    servers.append((Server((host, int(port)), handler), f'http://{a.listen}'))
    if a.tls_listen:
        host, _, port = a.tls_listen.rpartition(':')
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(a.tls_cert, a.tls_key)
        https = Server((host, int(port)), handler)
        https.socket = tls.wrap_socket(https.socket, server_side=True, do_handshake_on_connect=False)
        servers.append((https, f'https://{a.tls_listen}'))
    for _, url in servers:
        sys.stderr.write(f'{REALM}: serving {os.path.realpath(a.modules)} on {url} (basic auth)\n')
    sys.stderr.flush()
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server, _ in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == '__main__':
    main()
