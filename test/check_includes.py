#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_includes: the include graph follows docs/architecture.md.

The layer table in docs/architecture.md ("## Layers, bottom to top") is the
one source of the rule: every file of include/memregion/ and src/ belongs to
exactly one row, and a file may include only headers of its own row or of a
row above it in the table. Public headers include no internal header; the
program (tools/) and the examples include only public headers. A file that
no row names is an error too, so that a new file is placed on purpose.

Usage: check_includes.py SOURCE_TREE     (exit 0 clean, 1 with a report)
       check_includes.py SOURCE_TREE --graph   (print the layer graph)
"""
import fnmatch
import os
import re
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def read_table(root):
    """[(layer, [patterns])] bottom to top, from the architecture page."""
    path = os.path.join(root, "docs", "architecture.md")
    rows, inside = [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                inside = line.strip() == "## Layers, bottom to top"
                continue
            if not inside or not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 2 or cells[0] in ("layer", "") or set(cells[0]) <= set("-: "):
                continue
            files = re.findall(r"`([^`]+)`", cells[1])
            rows.append((cells[0].strip("`"), files))
    if not rows:
        sys.exit(f"check_includes: no layer table under '## Layers, bottom to top' in {path}")
    return rows


def tree_files(root):
    out = []
    for sub in ("include", "src"):
        for dirpath, _, names in os.walk(os.path.join(root, sub)):
            for n in sorted(names):
                if n.endswith((".h", ".c", ".h.in")):
                    out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(out)


def rank_of(rows, rel):
    hits = [i for i, (_, pats) in enumerate(rows) for p in pats if fnmatch.fnmatch(rel, p)]
    return sorted(set(hits))


def header_path(kind, name, includer):
    """The tree-relative path an #include names, or None for a system header."""
    if name.startswith("memregion/") or name == "memregion.h":
        base = name[:-2] if name.endswith(".h") else name
        if name == "memregion/version.h":
            return "include/memregion/version.h.in"
        return "include/" + base + ".h"
    if kind == '"':
        return os.path.normpath(os.path.join(os.path.dirname(includer), name))
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    rows = read_table(root)
    if "--graph" in sys.argv:
        for i, (layer, pats) in enumerate(rows):
            print(f"{i:2} {layer:10} {' '.join(pats)}")
        return 0
    problems = []
    ranks = {}
    for rel in tree_files(root):
        r = rank_of(rows, rel)
        if not r:
            problems.append(f"{rel}: in no row of the layer table (docs/architecture.md)")
        elif len(r) > 1:
            problems.append(f"{rel}: in several rows: {', '.join(rows[i][0] for i in r)}")
        else:
            ranks[rel] = r[0]
    for rel, rank in sorted(ranks.items()):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            text = f.read()
        public = rel.startswith("include/")
        for kind, name in INCLUDE_RE.findall(text):
            target = header_path(kind, name, rel)
            if target is None:
                continue
            if target not in ranks:
                problems.append(f"{rel}: includes {name}, which is not a file of the table")
                continue
            if public and target.startswith("src/"):
                problems.append(f"{rel}: a public header includes the internal {name}")
            t = ranks[target]
            if t > rank:
                problems.append(f"{rel} ({rows[rank][0]}) includes {name} ({rows[t][0]}), "
                                "a layer above it")
    for d in ("tools", "examples"):
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            for n in sorted(names):
                if not n.endswith((".c", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, n), root)
                with open(os.path.join(root, rel), encoding="utf-8") as f:
                    for kind, name in INCLUDE_RE.findall(f.read()):
                        if kind == '"' and (name.endswith("internal.h") or "/src/" in name
                                            or name.startswith("../src")):
                            problems.append(f"{rel}: includes the internal header {name}")
    for p in problems:
        print("check_includes:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
