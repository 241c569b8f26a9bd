#!/usr/bin/env python3
"""A tiny web server for the catalogue fixtures: answers every GET with an HTML page whose
<title> is given, over HTTP, or over HTTPS with the given certificate (any SNI accepted).

    webserver.py ADDRESS PORT TITLE [CERT.pem KEY.pem [TLS_MAX]]

TLS_MAX "1.2" keeps the certificate visible on the wire (TLS 1.3 encrypts it).
"""
import http.server
import ssl
import sys


def main():
    address, port, title = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    body = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{title}</body></html>\n".encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer((address, port), Page)
    if len(sys.argv) >= 6:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        if len(sys.argv) >= 7 and sys.argv[6] == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
