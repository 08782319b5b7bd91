#!/bin/sh
# SPDX-License-Identifier: MIT
# test_example_elf: examples/elf_headers.c reads /bin/ls as readelf does, and
# refuses a truncated file, a file that is not ELF and a wrong command line.
# Arguments: the source tree and the build tree.
. "$1/test/lib/test.sh"
prog=$build/examples/example_elf_headers
elf=/bin/ls
test_tmpdir example-elf

test -x "$prog" || skip "$prog is not built (configure with -DMR_BUILD_EXAMPLES=ON)"
test -r "$elf" || skip "no $elf to read"
command -v readelf >/dev/null 2>&1 || skip "readelf is not installed (install binutils)"
LC_ALL=C readelf -h "$elf" | grep -q 'Class: *ELF64' || skip "$elf is not ELF64"

# What readelf says: the entry point, the program header count, the segment
# types in file order (one line per segment with -W).
LC_ALL=C readelf -h -l -W "$elf" >"$tmp/readelf" || die "readelf failed on $elf"
want_entry=$(sed -n 's/^ *Entry point address: *//p' "$tmp/readelf")
want_phnum=$(sed -n 's/^ *Number of program headers: *//p' "$tmp/readelf")
awk '/^Program Headers:/ { on = 1; next } on && /^ *$/ { exit }
     on && $2 ~ /^0x/ { print $1 }' "$tmp/readelf" >"$tmp/want_types"
test -n "$want_entry" && test -n "$want_phnum" && test -s "$tmp/want_types" ||
    die "cannot read readelf's output"

"$prog" "$elf" >"$tmp/out" 2>"$tmp/err" || die "exit $? on $elf: $(cat "$tmp/err")"
test ! -s "$tmp/err" || die "stderr on $elf: $(cat "$tmp/err")"
grep -qx "Entry point $want_entry" "$tmp/out" ||
    die "entry point is not $want_entry: $(grep -i entry "$tmp/out")"
grep -qx "e_entry = $(printf '%d' "$want_entry")" "$tmp/out" || die "e_entry is not $want_entry"
grep -qx "e_phnum = $want_phnum" "$tmp/out" || die "e_phnum is not $want_phnum"
grep -q "^There are $want_phnum program headers," "$tmp/out" || die "the count is not $want_phnum"
awk '/^  Type / { on = 1; next } on { print $1 }' "$tmp/out" >"$tmp/types"
diff -u "$tmp/want_types" "$tmp/types" || die "segment types differ from readelf's"

# Refusals: exit 1 with a message naming the file, or 2 for usage.
expect() { # expect STATUS DESCRIPTION ARGS...
    want=$1
    what=$2
    shift 2
    "$prog" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    test "$got" = "$want" || die "$what: exit $got, not $want"
    test -s "$tmp/err" || die "$what: no error message"
}
head -c 40 "$elf" >"$tmp/trunc"
expect 1 "truncated file" "$tmp/trunc"
grep -q "$tmp/trunc" "$tmp/err" || die "the error does not name the file: $(cat "$tmp/err")"
grep -q "ELF header" "$tmp/err" || die "the error does not say what was cut: $(cat "$tmp/err")"
expect 1 "non-ELF file" "$src/README.md"
grep -q "not an ELF file" "$tmp/err" || die "README.md: $(cat "$tmp/err")"
expect 1 "missing file" "$tmp/missing"
expect 2 "two arguments" "$elf" "$elf"

# Under valgrind: no invalid access, nothing leaked, on success and on error.
# Valgrind 3.19 cannot read clang 14+'s DWARF 5 and gives up with exit 1, so
# a usage error (exit 2, and no allocation) first shows whether it runs here.
vg() { valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
           --errors-for-leak-kinds=all "$prog" "$@" >/dev/null 2>"$tmp/vg"; }
if ! command -v valgrind >/dev/null 2>&1; then
    skip_case "under valgrind" "valgrind is not installed (install valgrind)"
elif vg a b; test $? != 2; then
    grep -q "can't recover" "$tmp/vg" || die "valgrind, usage error: $(cat "$tmp/vg")"
    skip_case "under valgrind" "valgrind cannot read this build's debug info (valgrind 3.20+ reads DWARF 5)"
else
    vg "$elf" || die "valgrind on $elf: exit $?: $(cat "$tmp/vg")"
    vg "$tmp/trunc"; test $? = 1 || die "valgrind on the truncated file: $(cat "$tmp/vg")"
fi
exit 0
