#!/usr/bin/env python3
"""Write small, FAKE MaxMind DB (.mmdb) files for farmwatch's tests and lab scenarios.

    python3 scripts/make-test-geoip.py [TABLE] [OUT_DIR]

TABLE (default captures/geoip/places.txt) has one network per line, columns separated by "|":

    network | country | city | latitude | longitude | accuracy_km | asn | as_organization

'#' starts a comment; an empty cell leaves the field out. IPv4 and IPv6 networks in CIDR form;
a more specific network overrides the wider one that holds it. From the table the script writes
four databases into OUT_DIR (default captures/geoip), each in the record shape of a real
product so that the reader is tested against every shape it claims to understand:

    test-city.mmdb         GeoLite2-City / DB-IP City shape: city.names.en, country.iso_code,
                           location.latitude / longitude / accuracy_radius
    test-asn.mmdb          GeoLite2-ASN shape: autonomous_system_number (uint32),
                           autonomous_system_organization
    test-ipinfo-lite.mmdb  IPinfo Lite shape: asn as text ("AS64496"), as_name, country_code
    test-ipinfo-city.mmdb  IPinfo City shape: flat city, country (the code), and latitude /
                           longitude as text ("37.5665")

The writer follows the MaxMind DB File Format Specification, version 2.0
(https://maxmind.github.io/MaxMind-DB/): a binary search tree over the 128 address bits with
24-bit records, a 16-byte zero separator, the data section, then "\\xab\\xcd\\xefMaxMind.com"
and the metadata map. IPv4 networks sit at ::a.b.c.d (where readers look for IPv4 addresses
in an IPv6 tree) and again at ::ffff:a.b.c.d, as MaxMind's own writer aliases them.

The output is byte-for-byte reproducible (fixed build_epoch, or SOURCE_DATE_EPOCH when set),
so a test can check that the shipped files are what this script makes.
"""
import ipaddress
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
TABLE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "captures", "geoip", "places.txt")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "captures", "geoip")
BUILD_EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1700000000"))
RECORD_BITS = 24

COLUMNS = ["network", "country", "city", "latitude", "longitude", "accuracy_km", "asn", "as_organization"]


def read_table(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            cells = [c.strip() for c in line.split("|")]
            if len(cells) != len(COLUMNS):
                sys.exit(f"{path}:{number}: {len(cells)} columns, expected {len(COLUMNS)} ({' | '.join(COLUMNS)})")
            row = dict(zip(COLUMNS, cells))
            try:
                row["network"] = ipaddress.ip_network(row["network"], strict=True)
                for key, kind in (("latitude", float), ("longitude", float), ("accuracy_km", int), ("asn", int)):
                    row[key] = kind(row[key]) if row[key] else None
            except ValueError as e:
                sys.exit(f"{path}:{number}: {e}")
            if (row["latitude"] is None) != (row["longitude"] is None):
                sys.exit(f"{path}:{number}: latitude and longitude go together")
            rows.append(row)
    return rows


# --- data section encoding (spec: "Output Data Section", "Data Field Format") ---------------

TYPE_UTF8, TYPE_DOUBLE, TYPE_UINT16, TYPE_UINT32, TYPE_MAP, TYPE_UINT64, TYPE_ARRAY = 2, 3, 5, 6, 7, 9, 11


def control(kind, size):
    """The control byte(s): 3 type bits, 5 size bits; types above 7 are 'extended' (type 0 in
    the control byte, then one byte holding type - 7); sizes of 29 and up spill into 1-3 bytes."""
    if size < 29:
        first, extra = size, b""
    elif size < 29 + 256:
        first, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        first, extra = 30, struct.pack(">H", size - 285)
    else:
        first, extra = 31, struct.pack(">I", size - 65821)[1:]
    if kind <= 7:
        return bytes([(kind << 5) | first]) + extra
    return bytes([first, kind - 7]) + extra


def unsigned(kind, value, width):
    raw = value.to_bytes(width, "big").lstrip(b"\0")  # the spec allows (and writers use) the shortest form
    return control(kind, len(raw)) + raw


def encode(value, kind=None):
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return control(TYPE_UTF8, len(raw)) + raw
    if isinstance(value, float):
        return control(TYPE_DOUBLE, 8) + struct.pack(">d", value)
    if isinstance(value, dict):
        out = control(TYPE_MAP, len(value))
        for k, v in value.items():
            out += encode(k) + (encode(*v) if isinstance(v, tuple) else encode(v))
        return out
    if isinstance(value, list):
        return control(TYPE_ARRAY, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, int):
        width = {TYPE_UINT16: 2, TYPE_UINT32: 4, TYPE_UINT64: 8}[kind]
        return unsigned(kind, value, width)
    raise TypeError(value)


# --- search tree (spec: "Binary Search Tree Section") ---------------------------------------

def tree_networks(network):
    """(128-bit value, prefix length) placements of a network in an IPv6 tree."""
    if network.version == 6:
        return [(int(network.network_address), network.prefixlen)]
    v4 = int(network.network_address)
    return [(v4, 96 + network.prefixlen), ((0xFFFF << 32) | v4, 96 + network.prefixlen)]


def build(records):
    """records: [(network, data bytes)]. Returns the file's bytes."""
    nodes = [[None, None]]           # each record: None (no data), ("node", i) or ("data", offset)
    data = b""
    offsets = {}
    placements = []
    for network, payload in records:
        if payload not in offsets:
            offsets[payload] = len(data)
            data += payload
        for value, length in tree_networks(network):
            placements.append((length, value, offsets[payload]))
    # Wider networks first, so a narrower one later pushes the wider one's data down its subtree.
    for length, value, offset in sorted(placements):
        if length == 0:
            nodes[0] = [("data", offset), ("data", offset)]
            continue
        node = 0
        for depth in range(length):
            bit = (value >> (127 - depth)) & 1
            if depth == length - 1:
                nodes[node][bit] = ("data", offset)
                break
            record = nodes[node][bit]
            if record is None or record[0] == "data":
                nodes.append([record, record])
                nodes[node][bit] = ("node", len(nodes) - 1)
            node = nodes[node][bit][1]
    count = len(nodes)

    def number(record):
        if record is None:
            return count                    # "no data" is the node count itself
        if record[0] == "node":
            return record[1]
        return count + 16 + record[1]       # data pointers skip the 16-byte separator

    tree = bytearray()
    for left, right in nodes:
        for record in (left, right):
            n = number(record)
            assert n < 1 << RECORD_BITS, "too much data for 24-bit records"
            tree += n.to_bytes(3, "big")
    return bytes(tree), data, count


def write_database(path, database_type, description, records):
    tree, data, node_count = build(records)
    metadata = encode({
        "binary_format_major_version": (2, TYPE_UINT16),
        "binary_format_minor_version": (0, TYPE_UINT16),
        "build_epoch": (BUILD_EPOCH, TYPE_UINT64),
        "database_type": database_type,
        "description": {"en": description},
        "ip_version": (6, TYPE_UINT16),
        "languages": ["en"],
        "node_count": (node_count, TYPE_UINT32),
        "record_size": (RECORD_BITS, TYPE_UINT16),
    })
    with open(path, "wb") as f:
        f.write(tree + bytes(16) + data + b"\xab\xcd\xefMaxMind.com" + metadata)
    print(f"{path}: {len(records)} networks, {node_count} nodes", file=sys.stderr)


def main():
    rows = read_table(TABLE)
    fake = "FAKE test data made by farmwatch scripts/make-test-geoip.py; not real geolocation"
    city, asn, ipinfo, ipinfo_city = [], [], [], []
    for r in rows:
        record = {}
        if r["city"]:
            record["city"] = {"names": {"en": r["city"]}}
        if r["country"]:
            record["country"] = {"iso_code": r["country"]}
        if r["latitude"] is not None:
            location = {"latitude": r["latitude"], "longitude": r["longitude"]}
            if r["accuracy_km"] is not None:
                location["accuracy_radius"] = (r["accuracy_km"], TYPE_UINT16)
            record["location"] = location
        if record:
            city.append((r["network"], encode(record)))
        if r["asn"] is not None:
            as_record = {"autonomous_system_number": (r["asn"], TYPE_UINT32)}
            if r["as_organization"]:
                as_record["autonomous_system_organization"] = r["as_organization"]
            asn.append((r["network"], encode(as_record)))
        lite = {}
        if r["asn"] is not None:
            lite["asn"] = f"AS{r['asn']}"
            if r["as_organization"]:
                lite["as_name"] = r["as_organization"]
        if r["country"]:
            lite["country_code"] = r["country"]
        if lite:
            ipinfo.append((r["network"], encode(lite)))
        if r["latitude"] is not None:
            flat = {"city": r["city"], "country": r["country"],
                    "latitude": repr(r["latitude"]), "longitude": repr(r["longitude"])}
            ipinfo_city.append((r["network"], encode({k: v for k, v in flat.items() if v})))
    os.makedirs(OUT, exist_ok=True)
    write_database(os.path.join(OUT, "test-city.mmdb"), "Farmwatch-Test-City", fake, city)
    write_database(os.path.join(OUT, "test-asn.mmdb"), "Farmwatch-Test-ASN", fake, asn)
    write_database(os.path.join(OUT, "test-ipinfo-lite.mmdb"), "Farmwatch-Test-IPinfo-Lite", fake, ipinfo)
    write_database(os.path.join(OUT, "test-ipinfo-city.mmdb"), "Farmwatch-Test-IPinfo-City", fake, ipinfo_city)


if __name__ == "__main__":
    main()
