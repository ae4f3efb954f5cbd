"""The RAG API of the example: reports what it runs on, and serves that report with --serve."""
import os
import platform
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from ragcore import describe


def report() -> str:
    return describe("rag-api", os.environ.get("APP_VERSION", "dev"), platform.machine())


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = (report() + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    print(report(), flush=True)
    if "--serve" in sys.argv:
        HTTPServer(("", int(os.environ.get("PORT", "5001"))), Handler).serve_forever()
