#!/bin/sh
# SPDX-License-Identifier: MIT
# test_abi: the symbols libmemregion.so exports are exactly the committed
# list test/abi/memregion.symbols, each with its version node: a symbol
# added (an accidental export, or a new function not yet listed), removed,
# or exported without a version fails with a diff. The mr__ helpers in the
# list must be called from a public header (by an inline function or macro).
# Before trusting the comparison, the test plants each kind of change in a
# copy of the list and of the library's set, and checks that it is caught.
# Arguments: the source tree and the build tree. Exit 0 pass, 1 fail, 77 skip.
. "$1/test/lib/test.sh"
lib=$build/libmemregion.so
list=$src/test/abi/memregion.symbols
test_tmpdir abi

command -v readelf >/dev/null 2>&1 || skip "readelf is missing: install binutils (apt-get install binutils)"
command -v diff >/dev/null 2>&1 || skip "diff is missing: install diffutils"
test -e "$lib" || skip "$lib is not built"
test -f "$list" || die "no $list"

# The defined, non-local dynamic symbols as name@NODE ("@@", the default
# version, written "@"); an unversioned one is the bare name. GNU ld and gold
# also define each version node as an absolute symbol of its own name: not
# an export. Only the 8th field is the name (older readelf add " (2)").
readelf --dyn-syms -W "$lib" >"$tmp/dynsym" || die "readelf --dyn-syms $lib"
awk '$1 ~ /^[0-9]+:$/ && $5 != "LOCAL" && $6 != "HIDDEN" && $6 != "INTERNAL" &&
     $7 != "UND" && !($7 == "ABS" && $8 ~ /^MEMREGION_[0-9]+\.[0-9]+$/) { print $8 }' \
    "$tmp/dynsym" | sed 's/@@/@/' | LC_ALL=C sort >"$tmp/built"
test -s "$tmp/built" || die "readelf shows no exported symbol in $lib"
grep -v '^#' "$list" >"$tmp/listed"

# The list itself: sorted, no repeats, every line a name and a version node.
LC_ALL=C sort -u "$tmp/listed" | cmp -s - "$tmp/listed" ||
    die "$list is not sorted (LC_ALL=C) or repeats a line"
bad=$(grep -v '^mr_[a-z0-9_]*@MEMREGION_[0-9][0-9]*\.[0-9][0-9]*$' "$tmp/listed")
test -z "$bad" || die "$list has lines that are not mr_name@MEMREGION_X.Y: $bad"

# compare WANT HAVE: silent and 0 when equal; else the diff and 1.
compare() {
    diff -u --label "listed ($list)" --label "exported ($lib)" "$1" "$2" >"$tmp/diff" &&
        return 0
    cat "$tmp/diff"
    return 1
}

# The planted changes, each of which must fail the comparison.
first=$(head -n 1 "$tmp/listed")
sed 1d "$tmp/listed" >"$tmp/short"          # the library exports one more
{ cat "$tmp/listed"; echo "mr_gone@MEMREGION_0.1"; } | LC_ALL=C sort >"$tmp/long"  # one fewer
sed '1s/@.*//' "$tmp/listed" >"$tmp/bare"   # one exported without a version
compare "$tmp/short" "$tmp/listed" >/dev/null &&
    die "a planted accidental export (${first%@*}) was not caught"
grep -qx "+$first" "$tmp/diff" || die "the diff for an accidental export does not name it"
compare "$tmp/long" "$tmp/listed" >/dev/null &&
    die "a planted removal (mr_gone) was not caught"
grep -qx -- "-mr_gone@MEMREGION_0.1" "$tmp/diff" || die "the diff for a removal does not name it"
compare "$tmp/listed" "$tmp/bare" >/dev/null &&
    die "a planted unversioned export (${first%@*}) was not caught"
compare "$tmp/listed" "$tmp/listed" >/dev/null || die "a list differs from itself"

if ! compare "$tmp/listed" "$tmp/built" >&2; then
    echo "FAIL: libmemregion.so exports a different set than $list." >&2
    echo "  + exported, not listed: an accidental export (keep it out of the public" >&2
    echo "    headers, or drop MR_API), or a new function: list it under a new" >&2
    echo "    version node (cmake/memregion.map and README \"ABI policy\")." >&2
    echo "  - listed, not exported: a removed function breaks the ABI (SONAME bump)." >&2
    echo "  A name without @NODE is exported without a version." >&2
    exit 1
fi

# An exported mr__ helper is there only because an inline function or a
# macro in a public header calls it: its name appears there beyond its
# declaration.
cat "$src"/include/memregion.h "$src"/include/memregion/*.h | grep -v "MR_API" >"$tmp/calls"
sed -n 's/^\(mr__[a-z0-9_]*\)@.*/\1/p' "$tmp/listed" >"$tmp/helpers"
while read -r name; do
    grep -q "\\b$name *(" "$tmp/calls" ||
        die "$name is exported but no public inline function or macro calls it"
done <"$tmp/helpers"

echo "abi: $(wc -l <"$tmp/built") symbols exported, all versioned and listed;" \
     "planted export, removal and unversioned symbol caught" >&2
