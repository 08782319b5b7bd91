#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_wire.py SRC: docs/wire.md says what the sources do.

Reads the constants and the layouts the wire format is made of from the
sources (src/svc_internal.h, src/svc_proto.c, src/chan.c,
include/memregion/chan.h and svc.h, tools/pipe_proto.h, tools/cmd_pipe.c)
and checks docs/wire.md against them: the greeting's sizes, field offsets,
magics and numbers, the handover message, the channel header's offsets,
the name forms, and what `memregion pipe` adds. Prints one line per
mismatch and exits 1 if there is any, else 0."""
import errno
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "."
problems = []


def read(rel):
    with open(f"{SRC}/{rel}", encoding="utf-8") as f:
        return f.read()


def defines(*rels):
    """Every #define NAME VALUE of the files, comments stripped."""
    out = {}
    for rel in rels:
        text = re.sub(r"/\*.*?\*/", "", read(rel), flags=re.S)
        for m in re.finditer(r"^#define\s+(\w+)[ \t]+(.+?)\s*$", text, flags=re.M):
            out[m.group(1)] = m.group(2)
    return out


def value(defs, name, seen=()):
    """A define's value: a string literal's text, or a number (simple C
    integer expressions with casts, suffixes and other defines)."""
    v = defs[name]
    if v.startswith('"'):
        return "".join(re.findall(r'"([^"]*)"', v))
    v = re.sub(r"UINT64_C\((\w+)\)", r"\1", v)
    v = re.sub(r"\((?:size_t|uint64_t|uint32_t|int)\)", "", v)
    v = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)(?:[uU]?[lL]{0,2})\b", r"\1", v)
    v = re.sub(r"sizeof\s+(\w+)", lambda m: str(len(value(defs, m.group(1))) + 1), v)
    for ident in set(re.findall(r"\b[A-Za-z_]\w*\b", v)):
        if ident in seen or ident not in defs:
            raise KeyError(f"{name}: cannot evaluate {ident}")
        v = re.sub(rf"\b{ident}\b", f"({value(defs, ident, seen + (name,))})", v)
    return eval(v, {"__builtins__": {}})  # only digits and operators are left


def section(md, heading):
    """The text under the heading (any level) up to the next heading."""
    m = re.search(rf"^#+ {re.escape(heading)}.*?$(.*?)(?=^#+ |\Z)", md, flags=re.M | re.S)
    if not m:
        problems.append(f"docs/wire.md: no section '{heading}'")
        return ""
    return m.group(1)


def prose(text):
    """text with its line breaks and runs of spaces as single spaces."""
    return re.sub(r"\s+", " ", text)


def table(text):
    """The rows of the first Markdown table in text, as lists of cells."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]


def check(what, doc, code):
    if doc != code:
        problems.append(f"docs/wire.md, {what}: the page says {doc!r}, the code {code!r}")


def stores(body):
    """(offset, size, what) of each field a *_make function writes."""
    out = []
    for m in re.finditer(r"memcpy\(buf, (\w+), (\d+)\)|mr_store_u(\d+)le\(buf, (\d+), (\w+)\)", body):
        if m.group(1):
            out.append((0, int(m.group(2)), m.group(1)))
        else:
            out.append((int(m.group(4)), int(m.group(3)) // 8, m.group(5)))
    return out


def function(text, name):
    m = re.search(rf"^\w[^\n]*\b{name}\([^)]*\)\n\{{(.*?)^\}}", text, flags=re.M | re.S)
    if not m:
        problems.append(f"{name}: not found in the sources")
        return ""
    return m.group(1)


def number_in(cell, pattern):
    m = re.search(pattern, cell)
    return int(m.group(1), 0) if m else None


md = read("docs/wire.md")
svc = defines("src/svc_internal.h", "include/memregion/svc.h")
proto = read("src/svc_proto.c")
proto_defs = defines("src/svc_proto.c")
chan_defs = defines("include/memregion/chan.h", "src/chan.c")
chan_c = read("src/chan.c")
pipe_defs = defines("tools/pipe_proto.h", "tools/cmd_pipe.c", "include/memregion/svc.h")

# ---- the greeting ----------------------------------------------------------------
for title, fn, length, magic in (("The hello", "mr__svc_hello_make", "MR__SVC_HELLO_LEN", "HELLO_MAGIC"),
                                 ("The reply", "mr__svc_reply_make", "MR__SVC_REPLY_LEN", "REPLY_MAGIC")):
    sec = section(md, title)
    heading = re.search(rf"^### {title}: .*?, (\d+) bytes$", md, flags=re.M)
    check(f"{title}: its size", int(heading.group(1)) if heading else None, value(svc, length))
    rows = table(sec)
    laid = stores(function(proto, fn))
    check(f"{title}: (offset, size) of its fields", [(int(r[0]), int(r[1])) for r in rows],
          [(o, s) for o, s, _ in laid])
    check(f"{title}: its fields fill it", sum(int(r[1]) for r in rows), value(svc, length))
    for r, (_, _, what) in zip(rows, laid):
        if what == magic:
            check(f"{title}: the magic", re.search(r"`(\w+)`", r[2]).group(1), value(proto_defs, magic))
        elif what == "MR__SVC_VERSION":
            check(f"{title}: the version", number_in(r[2], r": (\d+)$"), value(svc, "MR__SVC_VERSION"))
        elif what == "kind":
            check(f"{title}: kind connect", number_in(r[2], r"(\d+) connect"), value(svc, "MR__SVC_KIND_CONNECT"))
            check(f"{title}: kind only looking", number_in(r[2], r"(\d+) only looking"), value(svc, "MR__SVC_KIND_LOOK"))
        elif what == "status":
            check(f"{title}: status refused", number_in(r[2], r"(\d+) \(`EACCES`\)"), errno.EACCES)
            check(f"{title}: status accepted", number_in(r[2], r": (\d+) accepted"), 0)
        elif what == "shape":
            check(f"{title}: shape client to server", number_in(r[2], r"\((\d+)\) a channel client to server"),
                  value(svc, "MR__SVC_SHAPE_C2S"))
            check(f"{title}: shape server to client", number_in(r[2], r"\((\d+)\) one server to client"),
                  value(svc, "MR__SVC_SHAPE_S2C"))
        elif what == "flags":
            check(f"{title}: the fenced flag", number_in(r[2], r"\((\d+)\), the channels are fenced"),
                  value(svc, "MR__SVC_REPLY_FENCED"))
        elif what == "capacity":
            check(f"{title}: the capacity's field", "u64" in r[2] and r[1] == "8", True)
check("MR_SVC_HANDSHAKE_MS", number_in(prose(section(md, "The hello")), r"\((\d+) ms\)"),
      value(svc, "MR_SVC_HANDSHAKE_MS"))
check("the greeting's version in the heading", number_in(md, r"## 2\. The greeting \(version (\d+)\)"),
      value(svc, "MR__SVC_VERSION"))

# ---- the address -----------------------------------------------------------------
addr = prose(section(md, "1. The address"))
check("the socket file", "`DIR/memregion-UID/NAME.svc`" in addr,
      '"%s/memregion-%lu"' in proto and '"%s/%s.svc"' in proto)
check("the abstract name", "`memregion-NAME`" in addr, '"memregion-%s"' in proto)
check("NAME's longest", number_in(addr, r"NAME is 1 to (\d+) bytes"), value(svc, "MR_SVC_NAME_MAX"))

# ---- the handover ----------------------------------------------------------------
hand = section(md, "3. The handover")
rows = table(hand)
greeting = re.search(r"struct greeting \{(.*?)\};", chan_c, flags=re.S).group(1)
fields = re.findall(r"uint(\d+)_t (\w+);", greeting)
check("the handover message's fields", [(int(r[0]), int(r[1]), r[2].split(",")[0]) for r in rows],
      [(i * 8, int(bits) // 8, name) for i, (bits, name) in enumerate(fields)])
check("the handover message's size", number_in(prose(hand), r"sends one message: (\d+) bytes"),
      sum(int(bits) // 8 for bits, _ in fields))
check("the handover's magic", number_in(rows[0][2], r"`(0x[0-9a-f]+)`"), value(chan_defs, "GREETING_MAGIC"))
label = re.search(r'mr_shm_open_anon\(&shm, "([^"]+)"', chan_c).group(1)
check("the memfd's label", re.search(r'memfd_create\("([^"]+)"', prose(hand)).group(1), label)
seals = sorted("F_SEAL_" + s for s in re.findall(r"MR_SEAL_(\w+)", chan_defs["REQUIRED_SEALS"]))
check("the seals", sorted(re.findall(r"F_SEAL_\w+", hand.split("(never")[0])), seals)

# ---- the channel's header ----------------------------------------------------------
header_fields = {"magic": "H_MAGIC", "layout version": "H_VERSION", "header size": "H_HDR_SIZE",
                 "capacity": "H_CAPACITY", "roles attached": "H_ROLES", "mode": "H_MODE",
                 "producer closed": "H_PROD_CLOSED", "producer sleeping": "H_PROD_WAIT",
                 "tail": "H_TAIL", "consumer closed": "H_CONS_CLOSED",
                 "consumer sleeping": "H_CONS_WAIT"}
rows = table(section(md, "4. The channel in shared memory"))
named = set()
for r in rows:
    key = next((k for k in header_fields if r[2].startswith(k)), None)
    if key is None:
        problems.append(f"docs/wire.md, the channel's header: unknown field '{r[2]}'")
        continue
    named.add(key)
    check(f"the header's {key}: offset", int(r[0]), value(chan_defs, header_fields[key]))
    if key == "magic":
        magic = value(chan_defs, "CHAN_MAGIC").to_bytes(8, "little").decode("ascii")
        check("the header's magic", re.search(r"`(\w+)`", r[2]).group(1), magic)
    if key == "layout version":
        check("the header's version", number_in(r[2], r": (\d+)$"), value(chan_defs, "CHAN_VERSION"))
check("the header's fields listed", sorted(named), sorted(header_fields))
roles = dict(re.findall(r"MR_CHAN_(PRODUCER|CONSUMER) = (\d+),", read("include/memregion/chan.h")))
for role in ("producer", "consumer"):
    check(f"the {role}'s bit", number_in(md, rf"bit (\d+) {role}"), int(roles[role.upper()]).bit_length() - 1)

# ---- memregion pipe ---------------------------------------------------------------
pipe_sec = section(md, "5. What `memregion pipe` adds")
pipe = prose(pipe_sec)
prefix = value(pipe_defs, "PIPE_PREFIX")
check("the pipe's service name", re.search(r"offers the service `(\S+)NAME`", pipe).group(1), prefix)
check("the pipe's NAME longest", number_in(pipe, r"at most (\d+) bytes"), value(pipe_defs, "PIPE_NAME_MAX"))
check("the pipe's shape", number_in(pipe, r"with shape (\d+)"), value(svc, "MR__SVC_SHAPE_S2C"))
check("the pipe's default capacity", number_in(pipe, r"\((\d+) MiB by default\)"),
      value(pipe_defs, "DEFAULT_CAPACITY") >> 20)
check("the pipe's largest chunk", number_in(pipe, r"at most (\d+) MiB\)"), value(pipe_defs, "CHUNK_MAX") >> 20)
rows = table(pipe_sec)
check("the pipe's info size", number_in(rows[0][1], r"^(\d+):"), value(pipe_defs, "PIPE_INFO_LEN"))
check("the pipe's info tag", re.search(r"`(\w+)`", rows[0][1]).group(1), value(pipe_defs, "PIPE_INFO_TAG"))
check("the receiver's last wait", number_in(pipe, r"\(up to (\d+) s\)"), value(svc, "MR_SVC_HANDSHAKE_MS") // 1000)

# ---- versions ----------------------------------------------------------------------
vers = prose(section(md, "Versions"))
check("versions: the greeting's", number_in(vers, r"the version field \((\d+)\)"), value(svc, "MR__SVC_VERSION"))
check("versions: the channel's", number_in(vers, r"layout version \((\d+)\)"), value(chan_defs, "CHAN_VERSION"))
check("versions: the pipe's", re.search(r"info message's tag, `(\w+)`", vers).group(1),
      value(pipe_defs, "PIPE_INFO_TAG"))

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print("docs/wire.md agrees with the sources")
