#!/usr/bin/env python3
"""Generate Sources/FarmwatchCore/Devices/OUITable.swift from Debian's ieee-data package.

    apt-get install -y ieee-data
    python3 scripts/make-oui-table.py [IEEE_DATA_DIR] [OUT_FILE]

Reads the IEEE registries as Debian ships them in /usr/share/ieee-data: oui.csv (MA-L,
24-bit prefixes), mam.csv (MA-M, 28-bit) and oui36.csv (MA-S, 36-bit). The retired IAB
registry is left out (MA-S superseded it). Assignments to "Private" and the IEEE's own
"IEEE Registration Authority" (the MA-L blocks that MA-M/MA-S subdivide) are dropped: they
name no device maker, and a lookup that misses them says "unknown" rather than something
misleading.

Vendor names are shortened the same generic way for every entry: whitespace collapsed,
trailing legal forms removed ("Inc.", "Co., Ltd", "GmbH", "Corporation" ...), cut at 32
characters. The output embeds the table as three compact string literals, decoded on first
use by OUIVendors.swift (whose comment describes the format); it is a Swift source rather
than a resource file so that the farmwatch binary stays self-contained.

The header of the generated file states the package version and the registry date
(/usr/share/ieee-data/.lastupdate), so a regeneration shows what changed.
"""
import collections
import csv
import datetime
import os
import re
import subprocess
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/ieee-data"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "Sources", "FarmwatchCore", "Devices", "OUITable.swift")

MAX_NAME = 32
REGISTRIES = [("oui.csv", "MA-L", 24), ("mam.csv", "MA-M", 28), ("oui36.csv", "MA-S", 36)]
SKIP = {"Private", "IEEE Registration Authority", ""}

# 92 characters that need no escaping in a raw Swift string literal.
ALPH = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\')
assert len(ALPH) == 92
TOKEN = "~"   # marks a word token in a name; no vendor name contains it (checked below)

LEGAL = (r"(inc|incorporated|corp|corporation|corporate|co|company|ltd|limited|llc|l\.l\.c|gmbh|ag|"
         r"s\.?a|s\.?l|s\.?r\.?l|b\.?v|n\.?v|oy|ab|as|a/s|kg|pty|plc|pte|s\.?p\.?a|sas|s\.?a\.?s|kk|k\.k|"
         r"aps|sdn\s+bhd|bhd|spa|sarl|ltda|s\.?de\s+r\.?l|&\s*co|gmbh\s*&\s*co\.?\s*kg|co\.,?\s*ltd|co\.?,?ltd)")
TRAILING_LEGAL = re.compile(r"[\s,.]+" + LEGAL + r"[\s.,]*$", re.I)


def short_name(name):
    n = " ".join(name.split())
    while True:
        m = TRAILING_LEGAL.search(n)
        if not m or m.start() == 0:
            break
        n = n[:m.start()]
    n = n.strip(" ,.-")
    if len(n) > MAX_NAME:
        n = n[:MAX_NAME].rstrip(" ,.-")
    return n


def varint(v):
    """5 bits per character, low bits first; ALPH[0..31] ends a number, ALPH[32..63] goes on."""
    out = ""
    while True:
        d, v = v & 31, v >> 5
        if v:
            out += ALPH[32 + d]
        else:
            return out + ALPH[d]


def package_version():
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", "ieee-data"],
                              capture_output=True, text=True, check=True).stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    entries = []   # (bits, prefix, short name)
    counts = {}
    for file, registry, bits in REGISTRIES:
        n = 0
        with open(os.path.join(SRC, file), encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["Registry"] != registry:
                    continue
                org = row["Organization Name"].strip()
                if org in SKIP:
                    continue
                name = short_name(org)
                if not name:
                    continue
                assert TOKEN not in name and "\n" not in name and '"""' not in name, name
                entries.append((bits, int(row["Assignment"], 16), name))
                n += 1
        counts[registry] = n

    # Names sorted (by UTF-8 bytes) and front-coded: each line is the length of the prefix
    # shared with the previous name, then the rest, in which the commonest long words are
    # replaced by TOKEN + their index.
    names = sorted({e[2] for e in entries}, key=lambda s: s.encode())
    index = {n: i for i, n in enumerate(names)}
    word_counts = collections.Counter(w for n in names for w in re.findall(r"[A-Za-z]{4,}", n))
    words = [w for _, w in sorted(((len(w) - 2) * c, w) for w, c in word_counts.items())[::-1][:len(ALPH)]]
    word_index = {w: i for i, w in enumerate(words)}

    def tokens(text):
        return re.sub(r"[A-Za-z]{4,}", lambda m: TOKEN + ALPH[word_index[m.group(0)]]
                      if m.group(0) in word_index else m.group(0), text)

    lines, previous = [], ""
    for n in names:
        k = 0
        while k < len(previous) and k < len(n) and previous[k] == n[k] and k < len(ALPH) - 1:
            k += 1
        shared = len(n[:k].encode())          # a byte count, on a character boundary
        assert shared < len(ALPH)
        lines.append(ALPH[shared] + tokens(n[k:]))
        previous = n

    blocks = {}
    for _, registry, bits in REGISTRIES:
        out, last = "", 0
        for b, prefix, name in sorted(e for e in entries if e[0] == bits):
            out += varint(prefix - last) + varint(index[name])
            last = prefix
        blocks[registry] = "\n".join(out[i:i + 120] for i in range(0, len(out), 120))

    stamp_file = os.path.join(SRC, ".lastupdate")
    stamp = open(stamp_file).read().strip() if os.path.exists(stamp_file) else ""
    date = (datetime.datetime.fromtimestamp(int(stamp), datetime.timezone.utc).strftime("%Y-%m-%d")
            if stamp.isdigit() else "unknown")
    source = "Debian ieee-data %s, IEEE registries of %s" % (package_version(), date)

    def literal(text):
        return '#"""\n' + text + '\n"""#'

    with open(OUT, "w", encoding="utf-8") as f:
        f.write("// Generated by scripts/make-oui-table.py; do not edit.\n")
        f.write("// Source: %s (%s: oui.csv MA-L, mam.csv MA-M, oui36.csv MA-S).\n" % (source, SRC))
        f.write("// %d MA-L, %d MA-M and %d MA-S assignments; %d vendor names.\n\n"
                % (counts["MA-L"], counts["MA-M"], counts["MA-S"], len(names)))
        f.write("/// The IEEE MAC address block registries, compacted (see `OUIVendors` for the format).\n")
        f.write("enum OUITable {\n")
        f.write("    static let source = %s\n" % ('"' + source + '"'))
        f.write("    static let words = %s\n" % literal(" ".join(words)))
        f.write("    static let names = %s\n" % literal("\n".join(lines)))
        for _, registry, bits in REGISTRIES:
            f.write("    /// %s (%d-bit prefixes)\n" % (registry, bits))
            f.write("    static let %s = %s\n" % ({"MA-L": "large", "MA-M": "medium", "MA-S": "small"}[registry],
                                                  literal(blocks[registry])))
        f.write("}\n")
    print("%s: %d bytes, %d names, %s" % (OUT, os.path.getsize(OUT), len(names), source))


if __name__ == "__main__":
    main()
