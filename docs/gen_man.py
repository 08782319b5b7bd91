#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the man pages in docs/man/ from the headers and the program's --help.

    python3 docs/gen_man.py [--memregion PATH]          write docs/man/man{1,3,7}
    python3 docs/gen_man.py --check [--memregion PATH]  exit 1 if a page is out of date

Section 3: one page per public function (mr_chan_reserve.3), with the
header's comment above it as the description; a function that shares the
comment of the one above it gets an alias (a symbolic link, see Link) to
that one's page. One page
per header (memregion-chan.3) holds the header's overview, its constants,
types and macros, and the list of its functions; function-like macros get
aliases to it. The headers are read by docs/gen_api.py's parser, the same
one that writes docs/api/, so the two can never say different things.

Section 1: memregion.1 and one page per command and subcommand
(memregion-shm.1, memregion-shm-ls.1, memregion-pipe-send.1, ...), laid out
from what the program prints for --help (PATH, default build/tools/memregion:
build it first). --check also fails when docs/cli/ no longer holds each
--help text word for word, so that the program, docs/cli and the pages agree.

Section 7: memregion.7, the overview: the layers (in the order of the table
in docs/architecture.md, each described by its header's first sentence), the
error convention (from base.h) and where to start.

The pages are committed and checked (test/test_man.sh), as docs/api is: the
build needs neither python3 nor a run of the program, and `make install`
copies them.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_api  # noqa: E402  (the shared header parser)

ROOT = gen_api.ROOT
INCLUDE = gen_api.INCLUDE
OUT = os.path.join(ROOT, "docs", "man")
CLI_DOCS = os.path.join(ROOT, "docs", "cli")
WIDTH = 72  # synopsis lines are wrapped to this many columns
SPDX = ".\\\" SPDX-License-Identifier: MIT"


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        m = re.search(r"project\(memregion VERSION ([0-9.]+)", f.read())
    return m.group(1)


def th(name, section, manual):
    return ['.TH "%s" "%s" "" "memregion %s" "%s"' % (name.upper().replace("-", "\\-"),
                                                      section, version(), manual),
            # Identifiers and long words are never split, and ragged right
            # lines never need stretching.
            ".nh", ".ad l"]


def esc(s, code=False):
    """Roff text for plain text: backslashes escaped, minus signs made minus
    signs (every '-' in code; in prose, one that starts a word, as in -EINVAL
    or --json), and a line that would read as a request guarded."""
    s = s.replace("\\", "\\e")
    if code:
        s = s.replace("-", "\\-")
    else:
        s = re.sub(r"(^|[\s(\[\"'/,])-", lambda m: m.group(1) + "\\-", s)
        s = re.sub(r"(^|[\s(\[\"'/,])\\-(-)", lambda m: m.group(1) + "\\-\\-", s)
    if s.startswith((".", "'")):
        s = "\\&" + s
    return s


def bold_names(s, known):
    """Public names that have a page, in bold: mr_chan_commit -> \\fBmr_chan_commit\\fP."""
    return re.sub(r"\b(mr_[a-z0-9_]+|MR_[A-Z0-9_]+)\b",
                  lambda m: "\\fB" + m.group(1) + "\\fP" if m.group(1) in known else m.group(1), s)


def prose(lines, known=()):
    """Comment or help text as roff: paragraphs at blank lines, lines indented
    by two spaces or more kept as they are (code, tables, lists)."""
    out = []
    literal = False
    for ln in lines:
        if not ln.strip():
            if literal:
                out += [".fi", ".RE"]
                literal = False
            out.append(".PP")
            continue
        if ln.startswith("  "):
            if not literal:
                out += [".RS 2", ".nf"]
                literal = True
            out.append(esc(ln[2:], code=True))
        else:
            if literal:
                out += [".fi", ".RE"]
                literal = False
            out.append(bold_names(esc(ln.strip()), known))
    if literal:
        out += [".fi", ".RE"]
    while out and out[0] == ".PP":
        out.pop(0)
    while out and out[-1] == ".PP":
        out.pop()
    return out


def summary(text, limit=80, stops=":;"):
    """The first sentence of a comment or help text, for a NAME line."""
    s = " ".join(ln.strip() for ln in text if ln.strip())
    m = re.match(r"(.*?)(\.\s|\.$|%s$)" % ("[%s]\\s|" % stops if stops else ""), s)
    first = m.group(1).strip()
    if len(first) > limit:
        cut = first[:limit].rfind(", ")
        first = first[:cut] if cut > 20 else first[:limit].rsplit(" ", 1)[0]
    opened = []
    for i, ch in enumerate(first):
        if ch == "(":
            opened.append(i)
        elif ch == ")" and opened:
            opened.pop()
    if opened:  # a cut inside parentheses: leave the parenthesis out
        first = first[:opened[0]]
    first = first.rstrip(".,:; ")
    if first[:1].isupper() and not first[1:2].isupper() and not first.startswith("MR_"):
        first = first[0].lower() + first[1:]
    return first


def wrap_decl(decl):
    """A declaration on as few lines of at most WIDTH columns as it takes,
    continuation lines aligned after the opening parenthesis."""
    if decl.startswith(("#define", "struct", "enum", "union")) and "\n" in decl:
        return decl.split("\n")
    flat = re.sub(r"\s+", " ", decl).replace("( ", "(")
    if not flat.startswith(("#define", "struct", "enum", "union")) and not flat.endswith(";"):
        flat += ";"  # an inline function's head, cut at its body
    if len(flat) <= WIDTH or "(" not in flat:
        return [flat]
    head, rest = flat.split("(", 1)
    indent = len(head) + 1 if len(head) < 40 else 8
    lines, cur = [], head + "("
    for part in re.split(r"(?<=,) ", rest):
        if len(cur) + len(part) + 1 > WIDTH and cur.strip() and not cur.endswith("("):
            lines.append(cur.rstrip())
            cur = " " * indent + part
        else:
            cur = cur + ("" if cur.endswith("(") else " ") + part
    lines.append(cur)
    return lines


def code_block(lines):
    return [".RS 2", ".nf"] + [esc(ln, code=True) for ln in lines] + [".fi", ".RE"]


def see_also(refs):
    out = [".SH SEE ALSO"]
    refs = list(dict.fromkeys(refs))
    for i, (name, sec) in enumerate(refs):
        out.append(".BR %s (%s)%s" % (esc(name, code=True), sec, "," if i < len(refs) - 1 else ""))
    return out


class Link(str):
    """An alias page: a symbolic link to the page in the same directory that
    documents the name. Not a .so request: man -l resolves those from the
    current directory, so an installed alias would open only from the root
    of its man hierarchy; a link opens from anywhere, and is what Debian's
    policy asks for."""

    def __eq__(self, other):
        return isinstance(other, Link) and str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


# ---- section 3 -------------------------------------------------------------

def headers():
    order = [row[0] for row in layer_table()]
    found = [h[:-2] for h in os.listdir(INCLUDE) if h.endswith(".h")]
    return [n for n in order if n in found] + sorted(set(found) - set(order))


def section3():
    pages = {}
    parsed = {n: gen_api.parse(os.path.join(INCLUDE, n + ".h")) for n in headers()}
    # Every name with a page of its own or an alias, for bold text and SEE ALSO.
    known = {}
    made = {n: gen_api.generated(os.path.join(INCLUDE, n + ".h")) for n in parsed}
    for h in parsed.values():
        for e in h["entries"]:
            if e["text"] and re.match(r"-{3,}", e["text"][0]):
                # A part's opening comment right above its first call: the
                # part's text, which every page of that part shows, not the
                # call's own.
                e["text"] = []
    for n, h in parsed.items():
        for e in h["entries"]:
            if e["kind"] == "function" or re.match(r"#define \w+\(", e["decl"]):
                known[e["name"]] = n
        for name, _ in made[n]:
            known.setdefault(name, n)
    for n, h in parsed.items():
        entries = h["entries"]
        header_page = "memregion-" + n
        include = "#include <memregion/%s.h>" % n
        functions = []
        for i, e in enumerate(entries):
            if e["kind"] != "function":
                continue
            group = [x for x in entries if x["group"] == e["group"]]
            lead = [x for x in group if x["kind"] == "function"][0]
            if lead is not e:
                pages["man3/%s.3" % e["name"]] = Link(lead["name"] + ".3")
                continue
            text = entries[e["group"]]["text"]
            names = [x["name"] for x in group if x["kind"] == "function"]
            functions.append((names, text, e["section"]))
            out = [SPDX, ".\\\" Generated by docs/gen_man.py from include/memregion/%s.h;" % n,
                   ".\\\" edit the header, then run the script."]
            out += th(e["name"], "3", "memregion Manual")
            out += [".SH NAME", "%s \\- %s" % (esc(", ".join(names), code=True),
                                                esc(summary(text)) if text else
                                                esc(h["sections"][e["section"]]["title"])
                                                if e["section"] is not None else
                                                "part of memregion/%s.h" % n)]
            out += [".SH SYNOPSIS", ".nf", ".B %s" % esc(include, code=True), ".PP"]
            for x in group:
                out += [esc(ln, code=True) for ln in wrap_decl(x["decl"])]
            out += [".fi", ".PP", "Link with \\fB\\-lmemregion\\fP "
                    "(\\fBpkg\\-config \\-\\-cflags \\-\\-libs memregion\\fP)."]
            out.append(".SH DESCRIPTION")
            sec = h["sections"][e["section"]] if e["section"] is not None else None
            if text:
                out += prose(text, set(known) - set(names))
            else:
                out.append("The header gives %s no comment of %s own; %s" % (
                    "these functions" if len(names) > 1 else "this function",
                    "their" if len(names) > 1 else "its",
                    "see its part on them below and" if sec and sec["text"] else "see"))
                out.append(".BR %s (3)." % esc(header_page, code=True))
            if sec and sec["text"]:
                # What the header says once for every call of this part of it.
                out += [".PP", "Of every call in the part of the header on",
                        "\\fI%s\\fP:" % esc(sec["title"]), ".PP"]
                out += prose(sec["text"], set(known) - set(names))
            mentioned = [m for m in re.findall(r"\bmr_[a-z0-9_]+", " ".join(text))
                         if m in known and m not in names]
            refs = [(header_page, 3)] + [(m, 3) for m in mentioned]
            out += see_also(refs + [("memregion", 7)])
            pages["man3/%s.3" % e["name"]] = "\n".join(out) + "\n"
        # The header's page: overview, constants, types, macros, functions.
        out = [SPDX, ".\\\" Generated by docs/gen_man.py from include/memregion/%s.h;" % n,
               ".\\\" edit the header, then run the script."]
        out += th(header_page, "3", "memregion Manual")
        out += [".SH NAME", "%s \\- %s" % (esc(header_page, code=True),
                                            esc(summary(h["overview"], 200)))]
        out += [".SH SYNOPSIS", ".nf", ".B %s" % esc(include, code=True), ".fi",
                ".SH DESCRIPTION"]
        out += prose(h["overview"], set(known))
        # Runs of constants, types and macros that share one comment: one
        # subsection each, the declarations and then the comment.
        runs = []
        for i, e in enumerate(entries):
            if e["kind"] == "function":
                continue
            if runs and runs[-1][-1] == i - 1 and entries[i - 1]["group"] == e["group"]:
                runs[-1].append(i)
            else:
                runs.append([i])
            if re.match(r"#define \w+\(", e["decl"]):
                pages.setdefault("man3/%s.3" % e["name"], Link(header_page + ".3"))
        if runs:
            out.append(".SH CONSTANTS, TYPES AND MACROS")
        seen = set()
        for run in runs:
            names = list(dict.fromkeys(entries[i]["name"] for i in run))
            if seen.issuperset(names):
                continue  # the other branch of an #if: the same names again
            seen.update(names)
            out.append(".SS %s" % esc(", ".join(names), code=True))
            decls = []
            for i in run:
                decls += wrap_decl(entries[i]["decl"])
            out += code_block(decls)
            lead = entries[entries[run[0]]["group"]]
            if lead["text"] and lead["kind"] != "function":
                out += [".PP"] + prose(lead["text"], set(known))
        if functions:
            out.append(".SH FUNCTIONS")
            current = None
            for names, text, sec in functions:
                if sec is not None and sec != current:
                    current = sec
                    out.append(".SS %s" % esc(h["sections"][sec]["title"]))
                    if h["sections"][sec]["text"]:
                        out += prose(h["sections"][sec]["text"], set(known))
                out.append(".TP")
                out.append(", ".join(".BR %s (3)" % esc(x, code=True) for x in names[:1]) +
                           "".join("\n.BR %s (3)" % esc(x, code=True) for x in names[1:]))
                out.append(esc(summary(text)) if text else "(no comment in the header)")
        listed = set(e["name"] for e in entries)
        family = [(name, decl) for name, decl in made[n] if name not in listed]
        if family:
            # Functions that the header's own macros define: described above,
            # in the overview or the macro's comment; each name is an alias
            # of this page.
            if not functions:
                out.append(".SH FUNCTIONS")
            out += [".PP", "Inline functions made by the header's macros, described above:"]
            out += code_block([ln for _, decl in family for ln in wrap_decl(decl)])
            for name, _ in family:
                pages.setdefault("man3/%s.3" % name, Link(header_page + ".3"))
        out += see_also([("memregion", 7)])
        pages["man3/%s.3" % header_page] = "\n".join(out) + "\n"
    return pages, parsed


# ---- section 1 -------------------------------------------------------------

def run_help(prog, args):
    r = subprocess.run([prog] + args + ["--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        sys.exit("gen_man: '%s --help' exited with %d" % (" ".join(["memregion"] + args),
                                                          r.returncode))
    return r.stdout


def blocks(text):
    """The help text as blocks separated by blank lines."""
    out, cur = [], []
    for ln in text.rstrip("\n").split("\n"):
        if ln.strip():
            cur.append(ln.rstrip())
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def entry_list(lines):
    """A list such as 'options:' or 'commands:' as (term, description lines):
    a term starts at a line's first indent, its description at the column
    where the descriptions of the list start."""
    base = len(lines[0]) - len(lines[0].lstrip())
    cols = []
    for ln in lines:
        m = re.match(r"(\s*)(\S.*?)\s{2,}\S", ln)
        if m and len(m.group(1)) <= base + 4:
            cols.append(len(m.group(0)) - 1)
    col = min(cols, key=lambda c: (-cols.count(c), c)) if cols else None
    items = []
    for ln in lines:
        indent = len(ln) - len(ln.lstrip())
        if col is not None and indent >= col and items:
            items[-1][1].append(ln[col:].strip())
        elif col is not None and len(ln) > col and ln[col - 1] == " ":
            items.append([ln[:col].strip(), [ln[col:].strip()]])
        elif col is not None and " " in ln[col:].strip() and ln.find(" ", col) > 0:
            # A term one column too wide for the list: it ends at the next space.
            cut = ln.find(" ", col)
            items.append([ln[:cut].strip(), [ln[cut:].strip()]])
        else:
            items.append([ln.strip(), []])
    return items


def term_roff(term):
    """An option or command term: the names bold, the arguments italic."""
    parts = []
    for tok in re.split(r"(\s+|,\s*)", term):
        if not tok or tok.isspace() or tok.startswith(","):
            parts.append(tok)
        elif tok.startswith("-") or re.match(r"^[a-z][a-z-]*$", tok):
            parts.append("\\fB" + esc(tok, code=True) + "\\fP")
        else:
            parts.append("\\fI" + esc(tok, code=True) + "\\fP")
    return "".join(parts)


def page1(name, words, text, title, known, see):
    out = [SPDX, ".\\\" Generated by docs/gen_man.py from the output of 'memregion%s --help';" %
           "".join(" " + w for w in words),
           ".\\\" edit the help text in tools/, then run the script."]
    out += th(name, "1", "memregion Manual")
    out += [".SH NAME", "%s \\- %s" % (esc(name, code=True), esc(title))]
    bs = blocks(text)
    usage = bs.pop(0)
    out += [".SH SYNOPSIS", ".nf"]
    for ln in usage:
        out.append(esc(re.sub(r"^usage: ", "", ln[0:7]) + ln[7:] if ln.startswith("usage: ")
                       else ln[7:] if ln.startswith(" " * 7) else ln, code=True))
    out += [".fi"]
    section = "DESCRIPTION"
    out.append(".SH DESCRIPTION")
    for b in bs:
        head = re.match(r"^(options|commands|subcommands|examples?):$", b[0])
        if head:
            new = {"options": "OPTIONS", "commands": "COMMANDS", "subcommands": "SUBCOMMANDS",
                   "example": "EXAMPLE", "examples": "EXAMPLES"}[head.group(1)]
            out.append(".SH " + new)
            section = new
            if new.startswith("EXAMPLE"):
                out += code_block([ln[2:] if ln.startswith("  ") else ln for ln in b[1:]])
            else:
                for term, desc in entry_list(b[1:]):
                    out += [".TP", term_roff(term)]
                    out += [bold_names(esc(d), known) for d in desc] or [""]
            continue
        if out[-1].startswith(".SH"):
            pass
        else:
            out.append(".PP")
        out += prose(b, known)
    del section
    out += see_also(see)
    return "\n".join(out) + "\n"


def section1(prog):
    if not os.access(prog, os.X_OK):
        sys.exit("gen_man: no program at %s: build it first (make build), or give "
                 "--memregion PATH" % prog)
    pages = {}
    helps = {}
    root = run_help(prog, [])
    helps[()] = root
    commands = []
    for b in blocks(root):
        if b[0] == "commands:":
            commands = entry_list(b[1:])
    titles = {(c,): d for c, d in ((t, " ".join(d)) for t, d in commands)}
    tree = {(): [(c,) for c, _ in commands]}
    for c, _ in commands:
        text = run_help(prog, [c])
        helps[(c,)] = text
        subs = []
        for b in blocks(text):
            if b[0] == "subcommands:":
                for term, d in entry_list(b[1:]):
                    s = term.split()[0]
                    subs.append(s)
                    titles[(c, s)] = " ".join(d)
        for ln in blocks(text)[0]:
            m = re.match(r"(?:usage:)?\s+memregion %s ([a-z]+)\b" % c, ln)
            if m and m.group(1) not in subs:
                subs.append(m.group(1))
        tree[(c,)] = [(c, s) for s in subs]
        for s in subs:
            helps[(c, s)] = run_help(prog, [c, s])
    names = {w: "-".join(("memregion",) + w) for w in helps}
    for w, text in helps.items():
        title = titles.get(w)
        if title is None:
            desc = [ln for b in blocks(text)[1:2] for ln in b]
            title = summary([re.sub(r"^memregion ", "", desc[0])] + desc[1:], 200, "") if w == () \
                else summary(desc, 200)
        see = []
        if w:
            see.append((names[w[:-1]], 1))
        see += [(names[x], 1) for x in tree.get(w, [])]
        for m in re.findall(r"memregion ([a-z]+)(?: ([a-z]+))?", text):
            for x in ((m[0], m[1]), (m[0],)):
                if x in names and x != w and x != w[:-1]:
                    see.append((names[x], 1))
                    break
        see.append(("memregion", 7))
        pages["man1/%s.1" % names[w]] = page1(names[w], w, text, title, set(), see)
    return pages, helps


def cli_docs_stale(helps):
    """The --help texts that docs/cli/*.md do not hold word for word."""
    docs = ""
    for f in sorted(os.listdir(CLI_DOCS)):
        if f.endswith(".md"):
            with open(os.path.join(CLI_DOCS, f)) as fh:
                docs += fh.read()
    return [" ".join(("memregion",) + w + ("--help",)) for w, t in helps.items()
            if t.rstrip("\n") not in docs]


# ---- section 7 -------------------------------------------------------------

def layer_table():
    """The rows of docs/architecture.md's layer table: (layer, files)."""
    rows = []
    with open(os.path.join(ROOT, "docs", "architecture.md")) as f:
        for ln in f:
            m = re.match(r"^\| (\w+) \| (.*) \|$", ln.strip())
            if m and m.group(1) not in ("layer",):
                rows.append((m.group(1), m.group(2)))
    return rows


def section7(parsed):
    out = [SPDX, ".\\\" Generated by docs/gen_man.py from docs/architecture.md and the headers;",
           ".\\\" edit those, then run the script."]
    out += th("memregion", "7", "memregion Manual")
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        desc = re.search(r'DESCRIPTION "([^"]*)"', f.read()).group(1)
    out += [".SH NAME", "memregion \\- " + esc(desc[0].lower() + desc[1:])]
    out += [".SH SYNOPSIS", ".nf", ".B #include <memregion.h>", ".PP",
            "\\fBcc\\fP \\fIapp.c\\fP \\fB$(pkg\\-config \\-\\-cflags \\-\\-libs memregion)\\fP",
            ".fi"]
    out += [".SH DESCRIPTION",
            "memregion is a C library (it needs libc alone) for working with raw memory",
            "safely and for moving it between processes, and the",
            ".BR memregion (1)",
            "program over all of it. It is a stack of layers: each is one header,",
            ".IR memregion/<layer>.h ,",
            "whose names start with",
            ".BI mr_ <layer> _",
            "and whose page is",
            ".BR memregion\\-<layer> (3).",
            "A layer uses only the layers below it.",
            ".I memregion.h",
            "includes them all.",
            ".SH LAYERS",
            "From the bottom up:"]
    for layer, _ in layer_table():
        if layer not in parsed:
            continue
        out += [".TP", ".BR memregion\\-%s (3)" % layer,
                esc(summary(parsed[layer]["overview"], 300, "")) + "."]
    base = parsed.get("base")
    if base:
        text = base["overview"]
        start = next((i for i, ln in enumerate(text) if ln.startswith("Errors are values")), None)
        if start is not None:
            out.append(".SH ERRORS AND TIMEOUTS")
            out += prose(text[start:])
            out += [".PP", ".BR mr_strerror (3)",
                    "turns any of these codes into text."]
    out += [".SH WHERE TO START",
            "Begin with",
            ".BR memregion\\-region (3)",
            "(a pointer with a length, checked), which every other layer takes and",
            "returns, and",
            ".BR memregion\\-alloc (3)",
            "for memory to put in one. Files become regions with",
            ".BR memregion\\-map (3),",
            "shared memory with",
            ".BR memregion\\-shm (3);",
            ".BR memregion\\-view (3)",
            "decodes structures in them, and",
            ".BR memregion\\-chan (3)",
            "streams messages between processes without copying.",
            "Each header page lists its functions, one page each",
            "(for example",
            ".BR mr_chan_reserve (3)).",
            "The short programs in the source tree's",
            ".I examples/",
            "directory are the place to read first;",
            ".B memregion demo",
            "shows every layer working on real objects."]
    out += see_also([("memregion", 1)] + [("memregion-" + n, 3) for n in parsed])
    return {"man7/memregion.7": "\n".join(out) + "\n"}


def main():
    args = sys.argv[1:]
    check = "--check" in args
    prog = os.path.join(ROOT, "build", "tools", "memregion")
    if "--memregion" in args:
        prog = args[args.index("--memregion") + 1]
    pages3, parsed = section3()
    pages1, helps = section1(prog)
    pages = {}
    pages.update(pages1)
    pages.update(pages3)
    pages.update(section7(parsed))
    stale = []
    for name, text in sorted(pages.items()):
        path = os.path.join(OUT, name)
        if os.path.islink(path):
            old = Link(os.readlink(path))
        else:
            old = open(path).read() if os.path.exists(path) else None
        if old != text:
            if check:
                stale.append(name)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if os.path.lexists(path):
                    os.remove(path)
                if isinstance(text, Link):
                    os.symlink(text, path)
                else:
                    with open(path, "w") as f:
                        f.write(text)
    for sec in ("man1", "man3", "man7"):
        d = os.path.join(OUT, sec)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if sec + "/" + f not in pages:
                if check:
                    stale.append(sec + "/" + f + " (nothing makes it any more)")
                else:
                    os.remove(os.path.join(d, f))
    if check:
        cli = cli_docs_stale(helps)
        if stale:
            print("docs/man is out of date; run: python3 docs/gen_man.py --memregion %s" % prog,
                  file=sys.stderr)
            for p in stale:
                print("  docs/man/" + p, file=sys.stderr)
        if cli:
            print("docs/cli/*.md no longer hold the text these print; copy it there:",
                  file=sys.stderr)
            for c in cli:
                print("  " + c, file=sys.stderr)
        return 1 if stale or cli else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
