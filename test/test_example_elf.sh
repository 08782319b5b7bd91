#!/bin/sh
# test_example_elf: examples/elf_headers.c reads /bin/ls as readelf does, and
# refuses a truncated file, a file that is not ELF and a wrong command line.
# Arguments: the source tree and the build tree.
set -u
src=$1
build=$2
prog=$build/examples/example_elf_headers
elf=/bin/ls
tmp="${TMPDIR:-/tmp}/mr-example-elf-$$"
trap 'rm -f "$tmp".*' EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

test -x "$prog" || skip "$prog is not built (MR_BUILD_EXAMPLES=OFF?)"
test -r "$elf" || skip "no $elf to read"
command -v readelf >/dev/null 2>&1 || skip "readelf (binutils) is not installed"
LC_ALL=C readelf -h "$elf" | grep -q 'Class: *ELF64' || skip "$elf is not ELF64"

# What readelf says: the entry point, the program header count, the segment
# types in file order (one line per segment with -W).
LC_ALL=C readelf -h -l -W "$elf" >"$tmp.readelf" || fail "readelf failed on $elf"
want_entry=$(sed -n 's/^ *Entry point address: *//p' "$tmp.readelf")
want_phnum=$(sed -n 's/^ *Number of program headers: *//p' "$tmp.readelf")
awk '/^Program Headers:/ { on = 1; next } on && /^ *$/ { exit }
     on && $2 ~ /^0x/ { print $1 }' "$tmp.readelf" >"$tmp.want_types"
test -n "$want_entry" && test -n "$want_phnum" && test -s "$tmp.want_types" ||
    fail "cannot read readelf's output"

"$prog" "$elf" >"$tmp.out" 2>"$tmp.err" || fail "exit $? on $elf: $(cat "$tmp.err")"
test ! -s "$tmp.err" || fail "stderr on $elf: $(cat "$tmp.err")"
grep -qx "Entry point $want_entry" "$tmp.out" ||
    fail "entry point is not $want_entry: $(grep -i entry "$tmp.out")"
grep -qx "e_entry = $(printf '%d' "$want_entry")" "$tmp.out" || fail "e_entry is not $want_entry"
grep -qx "e_phnum = $want_phnum" "$tmp.out" || fail "e_phnum is not $want_phnum"
grep -q "^There are $want_phnum program headers," "$tmp.out" || fail "the count is not $want_phnum"
awk '/^  Type / { on = 1; next } on { print $1 }' "$tmp.out" >"$tmp.types"
diff -u "$tmp.want_types" "$tmp.types" || fail "segment types differ from readelf's"

# Refusals: exit 1 with a message naming the file, or 2 for usage.
expect() { # expect STATUS DESCRIPTION ARGS...
    want=$1
    what=$2
    shift 2
    "$prog" "$@" >"$tmp.out" 2>"$tmp.err"
    got=$?
    test "$got" = "$want" || fail "$what: exit $got, not $want"
    test -s "$tmp.err" || fail "$what: no error message"
}
head -c 40 "$elf" >"$tmp.trunc"
expect 1 "truncated file" "$tmp.trunc"
grep -q "$tmp.trunc" "$tmp.err" || fail "the error does not name the file: $(cat "$tmp.err")"
grep -q "ELF header" "$tmp.err" || fail "the error does not say what was cut: $(cat "$tmp.err")"
expect 1 "non-ELF file" "$src/README.md"
grep -q "not an ELF file" "$tmp.err" || fail "README.md: $(cat "$tmp.err")"
expect 1 "missing file" "$tmp.missing"
expect 2 "two arguments" "$elf" "$elf"

# Under valgrind: no invalid access, nothing leaked, on success and on error.
# Valgrind 3.19 cannot read clang 14+'s DWARF 5 and gives up with exit 1, so
# a usage error (exit 2, and no allocation) first shows whether it runs here.
vg() { valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
           --errors-for-leak-kinds=all "$prog" "$@" >/dev/null 2>"$tmp.vg"; }
if ! command -v valgrind >/dev/null 2>&1; then
    echo "note: valgrind is not installed; leak check skipped"
elif vg a b; test $? != 2; then
    grep -q "can't recover" "$tmp.vg" || fail "valgrind, usage error: $(cat "$tmp.vg")"
    echo "note: valgrind cannot read this build's debug info; leak check skipped"
else
    vg "$elf" || fail "valgrind on $elf: exit $?: $(cat "$tmp.vg")"
    vg "$tmp.trunc"; test $? = 1 || fail "valgrind on the truncated file: $(cat "$tmp.vg")"
fi
exit 0
