#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_dump: `memregion dump`, `peek` and `poke` on a file and a shm
# object made by this test (named after its pid, removed on exit): hex, typed
# and layout views with exact output, --json checked by python3 when present,
# layout errors with a caret, wrong arguments (exit 2), missing targets and
# ranges past the end (exit 1), and permission denied as user nobody.
# Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
n=mr-cli-dump-$$
test_tmpdir cli-dump
# shellcheck disable=SC2016 # expanded at exit
at_exit='rm -f "/dev/shm/$n"'
chmod 0755 "$tmp"
same() { # same DESCRIPTION: stdout is exactly $tmp/want
    cmp -s "$tmp/want" "$tmp/out" || { fail "$1: output differs:"; diff "$tmp/want" "$tmp/out" >&2; }
}

# A 40-byte record: magic "MRGN", version 2 (u16be), flags 0x0102 (u16le),
# a name, and an f64 of 1.5 (little-endian) at 32.
f=$tmp/rec.bin
{ printf 'MRGN\000\002\002\001hello'; head -c 25 /dev/zero; printf '\370\077'; } >"$f"
[ "$(stat -c %s "$f")" = 40 ] || { echo "FAIL: fixture is $(stat -c %s "$f") bytes" >&2; exit 1; }

run "$M" dump "$f"
cat >"$tmp/want" <<'X'
00000000: 4d52 474e 0002 0201 6865 6c6c 6f00 0000  MRGN....hello...
00000010: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000020: 0000 0000 0000 f83f                      .......?
X
expect 0 "" "" "dump hex"; same "dump hex"
run "$M" dump "$f" --at 0x20 --len 8
printf '00000020: 0000 0000 0000 f83f                      .......?\n' >"$tmp/want"
expect 0 "" "" "dump --at --len"; same "dump --at --len"
run "$M" dump "$f" --len 4 --json; expect 0 '"hex": "4d52474e"' "" "dump --json"; json "dump --json"

spec='magic:char[4] version:u16be flags:u16le name:char[8] size=32'
run "$M" dump "$f" --layout "$spec"
cat >"$tmp/want" <<'X'
magic = "MRGN"
version = 2
flags = 258
name = "hello"
X
expect 0 "" "" "dump --layout"; same "dump --layout"
run "$M" dump "$f" --layout "$spec" --json
printf '{"magic": "MRGN", "version": 2, "flags": 258, "name": "hello"}\n' >"$tmp/want"
expect 0 "" "" "dump --layout --json"; same "dump --layout --json"; json "dump --layout --json"
run "$M" dump "$f" --layout 'a:u32le b:u32le' --count 2 --json
expect 0 "" "" "dump --layout --count --json"; json "dump --layout --count --json"
grep -q '^\[{"a": 1313296973, "b": 16908800}' "$tmp/out" || fail "layout --count --json: $(cat "$tmp/out")"
printf '%s\n' "$spec" >"$tmp/spec"
run "$M" dump "$f" --layout "@$tmp/spec"; expect 0 'name = "hello"' "" "dump --layout @FILE"
run "$M" dump "$f" --at 32 --as f64le; expect 0 "^00000020: 1.5\$" "" "dump --as f64le"
run "$M" dump "$f" --at 4 --as u16be --count 2 --json
printf '[2, 513]\n' >"$tmp/want"; expect 0 "" "" "dump --as --json"; same "dump --as --json"; json "dump --as --json"

# layout errors: the spec and a caret under the place
run "$M" dump "$f" --layout 'magic:u32 version u16'
printf '  magic:u32 version u16\n                   ^\n' >"$tmp/want.err"
expect 2 "" "dump: layout: expected ':' after field name (at byte 17)" "layout error"
tail -2 "$tmp/err" | cmp -s - "$tmp/want.err" || { fail "layout error: caret"; cat "$tmp/err" >&2; }
run "$M" dump "$f" --layout 'a:u128'; expect 2 "" "dump: layout:" "layout bad type"
run "$M" dump "$f" --layout 'a:u8[64]'; expect 1 "" "dump: $f: 64 bytes at offset 0 reach past the end (40 bytes)" "layout past the end"

# shm:/name targets, and peek/poke
"$M" shm create "$n" --size 16 >/dev/null || fail "shm create"
run "$M" poke "shm:/$n" --at 4 --as u32be 0xdeadbeef; expect 0 "" "" "poke shm"
run "$M" poke "shm:$n" --at 8 --as i16le -2;   expect 0 "" "" "poke negative"
run "$M" poke "shm:$n" --at 12 --as f32 -1.25; expect 0 "" "" "poke f32"
run "$M" peek "shm:/$n" --at 4 --as u32be;     expect 0 "^3735928559\$" "" "peek shm"
run "$M" peek "shm:/$n" --at 8 --as i16le;     expect 0 "^-2\$" "" "peek negative"
run "$M" peek "shm:/$n" --at 12 --as f32;      expect 0 "^-1.25\$" "" "peek f32"
run "$M" peek "shm:/$n" --at 4 --as u32be --json
printf '{"target": "shm:/%s", "offset": 4, "type": "u32be", "value": 3735928559}\n' "$n" >"$tmp/want"
expect 0 "" "" "peek --json"; same "peek --json"; json "peek --json"
run "$M" dump "shm:/$n" --len 8; expect 0 "^00000000: 0000 0000 dead beef  " "" "dump shm"
run "$M" peek "$f" --at 5;                      expect 0 "^2\$" "" "peek default u8"

# wrong arguments
run "$M" dump;                                  expect 2 "" "dump: missing TARGET" "dump without target"
run "$M" dump "$f" extra;                       expect 2 "" "unexpected argument 'extra'" "dump extra"
run "$M" dump "$f" --as u8 --layout 'a:u8';     expect 2 "" "exclude each other" "dump --as --layout"
run "$M" dump "$f" --as u33;                    expect 2 "" "invalid type 'u33'" "dump --as u33"
run "$M" dump "$f" --at 12Q;                    expect 2 "" "invalid offset '12Q'" "dump --at 12Q"
run "$M" dump "$f" --count 2;                   expect 2 "" "--count needs --as or --layout" "dump --count"
run "$M" peek "$f";                             expect 2 "" "missing --at" "peek without --at"
run "$M" poke "$f" --at 0;                      expect 2 "" "missing VALUE" "poke without value"
run "$M" poke "$f" --at 0 --as u8 300;          expect 2 "" "value '300' does not fit in u8" "poke overflow"
run "$M" poke "$f" --at 0 --as i8 -129;         expect 2 "" "value '-129' does not fit in i8" "poke underflow"
run "$M" poke "$f" --at 0 --as u16 abc;         expect 2 "" "invalid value 'abc' for u16" "poke abc"

# missing targets, ranges past the end
run "$M" dump "$tmp/none";                      expect 1 "" "dump: $tmp/none: no such file or shared-memory object" "dump missing file"
run "$M" dump "shm:/$n-none";                   expect 1 "" "dump: shm:/$n-none: no such file or shared-memory object" "dump missing shm"
run "$M" peek "shm:/$n-none" --at 0;            expect 1 "" "peek: shm:/$n-none: no such" "peek missing"
run "$M" poke "$tmp/none" --at 0 1;             expect 1 "" "poke: $tmp/none: no such" "poke missing"
run "$M" dump "$f" --at 41;                     expect 1 "" "offset 41 is past the end (40 bytes)" "dump --at past the end"
run "$M" peek "$f" --at 38 --as u32;            expect 1 "" "peek: $f: 4 bytes at offset 38 reach past the end (40 bytes)" "peek past the end"
run "$M" poke "$f" --at 39 --as u16 1;          expect 1 "" "poke: $f: 2 bytes at offset 39 reach past the end" "poke past the end"
cmp -s "$f" "$tmp/rec.bin" || true

# permission denied, and read-only targets
if nobody_can "permission denied"; then
    chmod 0600 "$f"
    run $nobody "$M" dump "$f";                 expect 1 "" "dump: $f: Permission denied" "dump as nobody"
    chmod 0644 "$f"
    run $nobody "$M" poke "$f" --at 0 1;        expect 1 "" "poke: $f: cannot write: Permission denied (the target is read-only for this user)" "poke read-only"
    run $nobody "$M" peek "shm:/$n" --at 0;     expect 1 "" "peek: shm:/$n: Permission denied" "peek shm as nobody"
fi

[ "$failures" = 0 ] || exit 1
echo "memregion dump, peek, poke: as specified"
