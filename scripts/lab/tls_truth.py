#!/usr/bin/env python3
"""TLS truth for a capture, from tshark and openssl only (never from farmwatch): per TCP stream
with a ClientHello, the hellos' JA3/JA3S, SNI, ALPN, version and cipher, the certificate chains
as openssl decodes the DER tshark extracted, and JA4 computed from tshark's fields following
FoxIO's JA4.md. Used by scripts/make-tls-fixtures.sh and scripts/make-starttls-fixtures.sh.

    tls_truth.py GENERATED_BY PCAP...     writes PCAP's .truth.json beside each capture
"""
import hashlib, json, os, subprocess, sys, datetime

HRR = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
FIELDS = ["tcp.stream", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tls.handshake.type",
          "tls.handshake.version", "tls.handshake.ciphersuite", "tls.handshake.extension.type",
          "tls.handshake.sig_hash_alg", "tls.handshake.extensions.supported_version",
          "tls.handshake.extensions_alpn_str", "tls.handshake.extensions_server_name",
          "tls.handshake.ja3", "tls.handshake.ja3_full", "tls.handshake.ja3s", "tls.handshake.ja3s_full",
          "tls.handshake.random", "tls.handshake.certificate"]
GREASE = {0x0A0A + 0x1010 * i for i in range(16)}
VERSION_CODE = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}
ZEEK_VERSION = {0x0304: "TLSv13", 0x0303: "TLSv12", 0x0302: "TLSv11", 0x0301: "TLSv10", 0x0300: "SSLv3"}

def tshark(path, decode_as=()):
    cmd = ["tshark", "-n", "-r", path, *decode_as, "-Y", "tls.handshake.type", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    rows = []
    for line in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines():
        rows.append(dict(zip(FIELDS, [v.split("|") if v else [] for v in line.split("\t")])))
    return rows

def ints(values):
    return [int(v, 0) for v in values]

def sha12(text):
    return "000000000000" if not text else hashlib.sha256(text.encode()).hexdigest()[:12]

def ja4(row):
    """FoxIO JA4.md, from tshark's fields of one ClientHello."""
    ciphers = [c for c in ints(row["tls.handshake.ciphersuite"]) if c not in GREASE]
    exts = [e for e in ints(row["tls.handshake.extension.type"]) if e not in GREASE]
    assert 0x32 not in exts, "signature_algorithms_cert would mix into tshark's sig_hash_alg"
    sigs = [s for s in ints(row["tls.handshake.sig_hash_alg"]) if s not in GREASE]
    versions = [v for v in ints(row["tls.handshake.extensions.supported_version"]) if v not in GREASE]
    version = max(versions) if versions else int(row["tls.handshake.version"][0], 0)
    alpn = row["tls.handshake.extensions_alpn_str"]
    first = alpn[0] if alpn else ""
    alpn_code = (first[0] + first[-1]) if first else "00"
    a = "t%s%s%02d%02d%s" % (VERSION_CODE.get(version, "00"), "d" if 0 in exts else "i",
                             min(len(ciphers), 99), min(len(exts), 99), alpn_code)
    hexes = lambda xs: ",".join("%04x" % x for x in xs)
    sorted_exts = hexes(sorted(e for e in exts if e not in (0, 0x10)))
    tail = ("_" + hexes(sigs)) if sigs else ""
    raw = "%s_%s_%s%s" % (a, hexes(sorted(ciphers)), sorted_exts, tail)
    original_raw = "%s_%s_%s%s" % (a, hexes(ciphers), hexes(exts), tail)
    hashed = lambda r: "_".join([r.split("_")[0], sha12(r.split("_")[1]), sha12("_".join(r.split("_")[2:]))])
    return {"ja4": hashed(raw), "ja4_r": raw, "ja4_o": hashed(original_raw), "ja4_ro": original_raw}

def openssl_fields(der):
    """Certificate fields as openssl decodes them."""
    def run(*args):
        return subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", *args], input=der,
                              capture_output=True, check=True).stdout.decode()
    def name(flag):
        text = run(flag, "-nameopt", "RFC2253").split("=", 1)[1].strip()
        return text
    def attribute(flag, key):
        for part in run(flag, "-nameopt", "sep_multiline,sname").splitlines()[1:]:
            k, _, v = part.strip().partition("=")
            if k == key:
                return v
        return None
    def when(flag):
        text = run(flag).split("=", 1)[1].strip()
        t = datetime.datetime.strptime(text, "%b %d %H:%M:%S %Y GMT")
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = run("-text")
    sans_dns, sans_ip = [], []
    san = run("-ext", "subjectAltName")
    for line in san.splitlines()[1:]:
        for item in line.strip().split(", "):
            kind, _, value = item.partition(":")
            if kind == "DNS":
                sans_dns.append(value)
            elif kind == "IP Address":
                sans_ip.append(value)
    key_line = next(l.strip() for l in text.splitlines() if "Public Key Algorithm" in l)
    algorithm = key_line.split(":", 1)[1].strip()
    key_type = {"rsaEncryption": "rsa", "id-ecPublicKey": "ecdsa", "ED25519": "ed25519"}[algorithm]
    bits_line = next((l for l in text.splitlines() if "Public-Key: (" in l), None)
    key_bits = int(bits_line.split("(")[1].split()[0]) if bits_line else 256
    subject, issuer = name("-subject"), name("-issuer")
    return {
        "subject": subject, "issuer": issuer,
        "cn": attribute("-subject", "CN"), "o": attribute("-subject", "O"),
        "ou": attribute("-subject", "OU"), "c": attribute("-subject", "C"),
        "san_dns": sans_dns, "san_ip": sans_ip,
        "not_before": when("-startdate"), "not_after": when("-enddate"),
        "serial": run("-serial").split("=", 1)[1].strip(),
        "self_signed": subject == issuer,
        "key_type": key_type, "key_bits": key_bits,
        "sha256": hashlib.sha256(der).hexdigest(),
    }

def chain(rows):
    out = []
    for r in rows:
        for h in r["tls.handshake.certificate"]:
            out.append(openssl_fields(bytes.fromhex(h.replace(":", ""))))
    return out


def flows(path, decode_as=()):
    """One entry per TCP stream that carries a ClientHello, in stream order."""
    rows = tshark(path, decode_as)
    out = []
    for stream in sorted({r["tcp.stream"][0] for r in rows}, key=int):
        srows = [r for r in rows if r["tcp.stream"][0] == stream]
        hellos = [r for r in srows if "1" in r["tls.handshake.type"]]
        client = hellos[0]
        client_addr = (client["ip.src"][0], int(client["tcp.srcport"][0]))
        server_hellos = [r for r in srows if "2" in r["tls.handshake.type"]]
        final = [r for r in server_hellos if r["tls.handshake.random"][-1] != HRR]
        flow = {"client": "%s:%d" % client_addr,
                "server": "%s:%s" % (client["ip.dst"][0], client["tcp.dstport"][0]),
                "client_hellos": len(hellos),
                "hello_retry_request": len(final) < len(server_hellos),
                "ja3": client["tls.handshake.ja3"][0], "ja3_string": client["tls.handshake.ja3_full"][0],
                "server_name": (client["tls.handshake.extensions_server_name"] or [None])[0],
                "alpn": client["tls.handshake.extensions_alpn_str"],
                "client_supported_versions": [ZEEK_VERSION[v] for v in ints(client["tls.handshake.extensions.supported_version"]) if v not in GREASE]}
        flow.update(ja4(client))
        if final:
            s = final[0]
            versions = ints(s["tls.handshake.extensions.supported_version"])
            version = versions[0] if versions else int(s["tls.handshake.version"][0], 0)
            flow.update({"ja3s": s["tls.handshake.ja3s"][0], "ja3s_string": s["tls.handshake.ja3s_full"][0],
                         "version": ZEEK_VERSION[version], "cipher": s["tls.handshake.ciphersuite"][0],
                         "alpn_selected": (s["tls.handshake.extensions_alpn_str"] or [None])[0]})
        from_server = [r for r in srows if "11" in r["tls.handshake.type"] and (r["ip.src"][0], int(r["tcp.srcport"][0])) != client_addr]
        from_client = [r for r in srows if "11" in r["tls.handshake.type"] and (r["ip.src"][0], int(r["tcp.srcport"][0])) == client_addr]
        flow["cert_chain"] = chain(from_server)
        flow["client_cert_chain"] = chain(from_client)
        out.append(flow)
    return out

def tool_versions():
    return {
        "tshark": subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
        "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
    }

NOTES = ("cipher is tshark's code (0x....); certificate fields are openssl's decoding of the DER that tshark "
         "extracted; ja4* computed from tshark's fields per FoxIO JA4.md")

def write_sidecar(path, generated_by, flow_list, notes=NOTES, **extra):
    truth = {"generatedBy": generated_by, "capture": os.path.basename(path),
             "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
             "versions": tool_versions(), "flows": flow_list, **extra,
             "notes": notes}
    with open(path.replace(".pcap", ".truth.json"), "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
    print(os.path.basename(path), len(flow_list), "flow(s)")

if __name__ == "__main__":
    for pcap in sys.argv[2:]:
        write_sidecar(pcap, sys.argv[1], flows(pcap))
