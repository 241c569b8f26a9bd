#!/usr/bin/env python3
"""HTTPS (or plain HTTP) static file server for the scenario lab: http.server over TLS.

    tls_web_server.py --bind ADDR --port 443 --root DIR [--cert C --key K]

HTTP/1.1 with keep-alive, threads per connection; without --cert it serves plain HTTP.
"""
import argparse
import functools
import http.server
import ssl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=args.root)
    handler.func.protocol_version = "HTTP/1.1"
    server = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        ctx.set_alpn_protocols(["http/1.1"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
