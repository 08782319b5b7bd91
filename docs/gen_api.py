#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write docs/api/<layer>.md from include/memregion/<layer>.h.

The headers are the reference: every public function, type and constant has
its comment right above it. This script lays those out as one Markdown page
per layer, so that the pages can never say something the headers do not.

    python3 docs/gen_api.py            write docs/api/*.md
    python3 docs/gen_api.py --check    exit 1 if any page is out of date

Internal names (mr__*, MR__*) are left out.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = os.path.join(ROOT, "include", "memregion")
OUT = os.path.join(ROOT, "docs", "api")

DECL = re.compile(
    r"^(MR_API\s|MR_INLINE\s|struct mr_\w+\s*\{|enum mr_\w+\s*\{|union mr_\w+\s*\{|"
    r"#define MR_[A-Z0-9_]+|typedef\s)")


def comment_text(lines):
    """The text of a /* ... */ block given as lines, without the markers."""
    text = []
    for ln in lines:
        s = ln.strip()
        s = re.sub(r"^/\*+\s?", "", s)
        s = re.sub(r"\s?\*+/$", "", s)
        s = re.sub(r"^\*\s?", "", s)
        text.append(s)
    while text and not text[0]:
        text.pop(0)
    while text and not text[-1]:
        text.pop()
    return text


def declaration(lines, i):
    """The declaration starting at line i: its text and the next line index."""
    first = lines[i].rstrip()
    if first.startswith("#define"):
        # A macro: its name and parameters, not a body that may span lines.
        m = re.match(r"#define\s+(\w+(\([^)]*\))?)", first)
        j = i + 1
        while lines[j - 1].rstrip().endswith("\\"):
            j += 1
        value = first.split(None, 2)[2].rstrip("\\").strip() if len(first.split(None, 2)) > 2 and not m.group(2) else ""
        return "#define " + m.group(1) + ((" " + value) if value else ""), j
    if re.match(r"^(struct|enum|union) ", first):
        # A type: the whole definition, fields and their comments included.
        j = i
        depth = 0
        out = []
        while True:
            out.append(lines[j].rstrip())
            depth += lines[j].count("{") - lines[j].count("}")
            j += 1
            if depth == 0 and out[-1].endswith(";"):
                break
        return "\n".join(out), j
    # A function: the signature, up to ';' or the body's '{'.
    out = []
    j = i
    while True:
        ln = lines[j].rstrip()
        j += 1
        if "{" in ln and not ln.lstrip().startswith("struct"):
            out.append(ln[: ln.index("{")].rstrip())
            break
        out.append(ln)
        if ln.endswith(";"):
            break
    sig = "\n".join(out).replace("MR_API ", "").replace("MR_INLINE ", "static inline ")
    # Skip the body of an inline function.
    if "{" in lines[j - 1]:
        depth = lines[j - 1].count("{") - lines[j - 1].count("}")
        while depth > 0:
            depth += lines[j].count("{") - lines[j].count("}")
            j += 1
    return sig.strip(), j


def name_of(decl):
    m = re.match(r"#define\s+(\w+)", decl)
    if m:
        return m.group(1)
    m = re.match(r"(struct|enum|union)\s+(\w+)\s*\{", decl)
    if m:
        return m.group(1) + " " + m.group(2)
    m = re.search(r"(\w+)\s*\(", decl)
    return m.group(1) if m else decl.split()[0]


def parse(header):
    """The header's parts, the one reading of a header that every generator
    shares (docs/gen_api.py here, docs/gen_man.py for the man pages): a dict
    with the layer name, the overview (the file's opening comment, as lines)
    and the public entries in order. Each entry has its name, kind
    ("function", "macro" or "type"), declaration, comment text (lines; empty
    when none) and group: the index of the entry whose comment it shares
    (itself when it has its own), for declarations written right under
    another without a comment or a blank line between; and section: the index
    in sections (title and text of each "/* ---- title ----" comment) of the
    part of the header it is in, or None."""
    with open(header) as f:
        lines = f.read().split("\n")
    # The file's opening comment is the overview (after the SPDX line).
    i = 0
    while not lines[i].startswith("/*") or "SPDX-License-Identifier" in lines[i]:
        i += 1
    j = i
    while "*/" not in lines[j]:
        j += 1
    overview = comment_text(lines[i:j + 1])
    if overview and overview[0].startswith("memregion/"):
        first = overview[0].split(":", 1)[-1].strip()
        overview[0] = first[:1].upper() + first[1:]
    entries = []
    pending = []  # the last comment block, if it ends right above a line
    k = j + 1
    in_comment = False
    block = []
    last_end = -1  # the line after the last public declaration
    sections = []  # the "/* ---- title ----" comments that divide the header
    section = None
    while k < len(lines):
        ln = lines[k]
        s = ln.strip()
        if in_comment:
            block.append(ln)
            if "*/" in s:
                in_comment = False
                pending = block
                opened = section_of(block, sections)
                section = section if opened is None else opened
            k += 1
            continue
        if s.startswith("#define") and s.endswith("\\") and (
                s.startswith("#define MR__") or not s.startswith("#define MR_")):
            # The body of an internal macro: nothing in it is a declaration.
            while lines[k].rstrip().endswith("\\"):
                k += 1
            k += 1
            pending = []
            continue
        if s.startswith("/*"):
            if "*/" in s:
                pending = [ln]
                opened = section_of(pending, sections)
                section = section if opened is None else opened
            else:
                in_comment = True
                block = [ln]
            k += 1
            continue
        if DECL.match(s) and not re.match(r"(MR_API|MR_INLINE)[^(]*\bmr__", s) \
                and not s.startswith("#define MR__") and " mr__" not in s.split("(")[0]:
            decl, k2 = declaration(lines, k)
            name = name_of(decl)
            if not name.startswith(("mr__", "MR__")) and name not in ("MR_API", "MR_INLINE"):
                text = comment_text(pending)
                if decl.startswith("#define"):
                    kind = "macro"
                elif re.match(r"(struct|enum|union)\s", decl) or decl.startswith("typedef"):
                    kind = "type"
                else:
                    kind = "function"
                group = len(entries)
                if not text and k == last_end and entries:
                    group = entries[-1]["group"]
                entries.append({"name": name, "kind": kind, "decl": decl, "text": text,
                                "group": group, "section": section})
                last_end = k2
            pending = []
            k = k2
            continue
        if s:
            pending = []
        k += 1
    return {"layer": os.path.basename(header)[:-2], "overview": overview, "entries": entries,
            "sections": sections}


def section_of(block, sections):
    """If the comment block opens a section ("/* ---- title ----", then what
    the section's calls share), append it to sections and return its index."""
    m = re.match(r"\s*/\*+\s*-{3,}\s*(.*?)\s*-{3,}\s*(\*/)?\s*$", block[0])
    if not m:
        return None
    sections.append({"title": m.group(1), "text": comment_text([""] + block[1:])})
    return len(sections) - 1


def generated(header):
    """The public inline functions that internal macros define, as the
    header writes them (MR__SAP_INT(u16, ...) makes mr_load_u16, ...): a list
    of (name, declaration). Their comment is wherever the header puts the
    family's (its overview, or above the macro); parse() does not list them."""
    with open(header) as f:
        text = re.sub(r"\\\n", " ", f.read())
    defs = {}
    calls = []
    for ln in text.split("\n"):
        m = re.match(r"\s*#\s*define\s+(MR__\w+)\(([^)]*)\)\s*(.*)", ln)
        if m:
            defs[m.group(1)] = ([p.strip() for p in m.group(2).split(",")], m.group(3))
            continue
        m = re.match(r"(MR__\w+)\(([^()]*)\)\s*$", ln.strip())
        if m:
            calls.append((m.group(1), m.group(2)))
    out = []

    def expand(name, args, depth=0):
        if name not in defs or depth > 8:
            return
        params, body = defs[name]
        args = [a.strip() for a in args.split(",")]
        for p, a in zip(params, args):
            body = re.sub(r"\b%s\b" % re.escape(p), a, body)
        body = re.sub(r"\s*##\s*", "", body)
        for m in re.finditer(r"MR_INLINE\s+([^;{}]*?)\b(mr_[a-z0-9_]+)\s*\(([^)]*)\)", body):
            decl = "static inline %s%s(%s);" % (m.group(1), m.group(2), m.group(3))
            out.append((m.group(2), re.sub(r"\s+", " ", decl).replace("* ", "*")))
        for m in re.finditer(r"\b(MR__\w+)\(([^()]*)\)", body):
            expand(m.group(1), m.group(2), depth + 1)

    for name, args in calls:
        expand(name, args)
    return list(dict.fromkeys(out))


def page(header):
    h = parse(header)
    layer = h["layer"] + ".h"
    out = ["# memregion/" + layer, "",
           "<!-- Generated by docs/gen_api.py from include/memregion/" + layer +
           "; edit the header, then run the script. -->", ""]
    out += ["\n".join(h["overview"]).strip(), ""]
    for e in h["entries"]:
        out.append("### `" + e["name"] + "`")
        out.append("")
        out.append("```c")
        out.append(e["decl"])
        out.append("```")
        out.append("")
        if e["text"]:
            out.append("\n".join(e["text"]))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main():
    check = "--check" in sys.argv[1:]
    headers = sorted(f for f in os.listdir(INCLUDE) if f.endswith(".h"))
    stale = []
    index = ["# API reference", "",
             "<!-- Generated by docs/gen_api.py; edit the headers, then run the script. -->", "",
             "One page per layer, in the order of DESIGN.md's layers (a layer uses only",
             "the ones above it). Every page is the header's own comments.", ""]
    order = ["base", "sap", "region", "alloc", "cursor", "type", "value", "array", "layout",
             "object", "view", "iobuf", "guard", "map", "shm", "addr", "sock", "chan"]
    names = [h[:-2] for h in headers]
    for n in order + sorted(set(names) - set(order)):
        if n in names:
            index.append("- [memregion/%s.h](%s.md)" % (n, n))
    pages = {"README.md": "\n".join(index) + "\n"}
    for h in headers:
        pages[h[:-2] + ".md"] = page(os.path.join(INCLUDE, h))
    for name, text in pages.items():
        path = os.path.join(OUT, name)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            if check:
                stale.append(path)
            else:
                os.makedirs(OUT, exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
    if check:
        for name in os.listdir(OUT) if os.path.isdir(OUT) else []:
            if name not in pages:
                stale.append(os.path.join(OUT, name) + " (no such header)")
        if stale:
            print("docs/api is out of date; run: python3 docs/gen_api.py", file=sys.stderr)
            for p in stale:
                print("  " + os.path.relpath(p, ROOT), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
