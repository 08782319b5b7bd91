#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_pub: `memregion pub NAME` and `memregion sub NAME`: two
# subscribers each get a file of 100000 lines byte for byte (cmp), and
# fixed-size records; --json parses on both sides; a publisher killed makes
# its subscriber exit 1 with a message; one subscriber follows two
# publishers (every line of each in order; one killed: said, the other
# followed to its end); `memregion services` shows the
# topic, its subscribers and their lag; a missing publisher or missing
# subscribers time out; wrong arguments exit 2; nothing is left in the
# directory or /dev/shm. The directory is this test's own
# ($XDG_RUNTIME_DIR). Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
bg=
test_tmpdir cli-pub
# shellcheck disable=SC2016 # expanded at exit
at_exit='for p in $bg; do kill -9 "$p" 2>/dev/null; done'
mkdir -m 0700 "$tmp/xdg"
export XDG_RUNTIME_DIR=$tmp/xdg
sockdir=$tmp/xdg/memregion-$(id -u)
n=mrp$$
ls /dev/shm >"$tmp/shm.before" 2>/dev/null

# help and wrong arguments
run "$M" pub --help;          expect 0 "usage: memregion pub NAME" "" "pub --help"
run "$M" sub --help;          expect 0 "usage: memregion sub NAME" "" "sub --help"
run "$M" pub </dev/null;      expect 2 "" "pub: missing NAME" "pub without NAME"
run "$M" sub </dev/null;      expect 2 "" "sub: missing NAME" "sub without NAME"
run "$M" pub a/b </dev/null;  expect 2 "" "invalid NAME 'a/b'" "pub a/b"
run "$M" sub x --latest </dev/null; expect 2 "" "are options of 'pub'" "sub --latest"
run "$M" pub x --size 1G </dev/null; expect 2 "" "invalid size" "pub --size 1G"
run "$M" pub x --capacity 3000 </dev/null; expect 2 "" "invalid capacity '3000'" "pub --capacity 3000"
run "$M" sub x --frob </dev/null; expect 2 "" "unknown option '--frob'" "sub --frob"

# two subscribers, every line, byte for byte; --json on both sides
seq 1 100000 >"$tmp/in"
"$M" sub "$n" --json >"$tmp/o1" 2>"$tmp/j1" & s1=$!
"$M" sub "$n" >"$tmp/o2" 2>"$tmp/e2" & s2=$!
bg="$s1 $s2"
run "$M" pub "$n" --wait 2 --json <"$tmp/in"
expect 0 '"messages": 100000' "" "pub to two"
json "pub --json"
wait_for "$s1" 10; [ "$rc" = 0 ] || fail "sub 1: exit $rc"
wait_for "$s2" 10; [ "$rc" = 0 ] || fail "sub 2: exit $rc ($(cat "$tmp/e2"))"
cmp -s "$tmp/in" "$tmp/o1" || fail "sub 1 got other bytes"
cmp -s "$tmp/in" "$tmp/o2" || fail "sub 2 got other bytes"
grep -q '"lost": 0' "$tmp/j1" || fail "sub --json: $(cat "$tmp/j1")"
cp "$tmp/j1" "$tmp/out"; json "sub --json"

# fixed-size records, the last one short
head -c 100050 /dev/urandom >"$tmp/rin"
"$M" sub "$n" >"$tmp/ro" & s1=$!
bg=$s1
run "$M" pub "$n" --size 100 --capacity 8K <"$tmp/rin"
expect 0 "" "" "pub --size"
wait_for "$s1" 10; [ "$rc" = 0 ] || fail "sub of records: exit $rc"
cmp -s "$tmp/rin" "$tmp/ro" || fail "records: other bytes"

# a publisher that dies: its subscriber says so and exits 1
mkfifo "$tmp/fifo"
"$M" sub "$n" >/dev/null 2>"$tmp/e1" & s1=$!
"$M" pub "$n" <"$tmp/fifo" & p=$!
exec 7>"$tmp/fifo"
bg="$s1 $p"
echo hello >&7
sleep 0.3
kill -9 "$p"
wait_for "$s1" 5; [ "$rc" = 1 ] || fail "sub of a killed publisher: exit $rc"
grep -q "went away without closing" "$tmp/e1" || fail "sub of a killed publisher: $(cat "$tmp/e1")"
exec 7>&-
wait "$p" 2>/dev/null
rm -f "$sockdir/$n.svc"   # the killed publisher's, replaced by the next anyway

# one subscriber, several publishers (several names): every line of each,
# in its publisher's order; --json sums them; a wrong or repeated NAME
run "$M" sub "$n.a" "$n.a"; expect 2 "" "NAME '$n.a' given twice" "sub NAME NAME"
run "$M" sub "$n.a" b/c; expect 2 "" "invalid NAME 'b/c'" "sub NAME b/c"
seq 1 30000 | sed 's/^/a /' >"$tmp/ain"
seq 1 20000 | sed 's/^/b /' >"$tmp/bin"
"$M" sub "$n.a" "$n.b" --json >"$tmp/mo" 2>"$tmp/mj" & s1=$!
"$M" pub "$n.a" <"$tmp/ain" & pa=$!
"$M" pub "$n.b" --latest <"$tmp/bin" & pb=$!
bg="$s1 $pa $pb"
wait_for "$pa" 10; [ "$rc" = 0 ] || fail "pub a: exit $rc"
wait_for "$pb" 10; [ "$rc" = 0 ] || fail "pub b: exit $rc"
wait_for "$s1" 10; [ "$rc" = 0 ] || fail "sub of two: exit $rc ($(cat "$tmp/mj"))"
grep '^a ' "$tmp/mo" | cmp -s - "$tmp/ain" || fail "sub of two: the lines of a differ"
lost=$(sed -n 's/.*"lost": \([0-9]*\).*/\1/p' "$tmp/mj")
[ "$(grep -c '^b ' "$tmp/mo")" = $((20000 - lost)) ] || fail "sub of two: b's lines and lost disagree"
grep '^b ' "$tmp/mo" | sort -c -k2n 2>/dev/null || fail "sub of two: b's lines out of order"
grep -q '"topics": 2' "$tmp/mj" || fail "sub of two --json: $(cat "$tmp/mj")"
cp "$tmp/mj" "$tmp/out"; json "sub of two --json"

# one of two publishers killed: said, the other followed to its end, exit 1
"$M" sub "$n.a" "$n.b" >"$tmp/mo" 2>"$tmp/e1" & s1=$!
"$M" pub "$n.a" <"$tmp/fifo" & pa=$!
exec 7>"$tmp/fifo"
bg="$s1 $pa"
echo first >&7
sleep 0.3
kill -9 "$pa"
"$M" pub "$n.b" <"$tmp/bin" & pb=$!
bg="$s1 $pa $pb"
wait_for "$pb" 10; [ "$rc" = 0 ] || fail "pub b after a's death: exit $rc"
wait_for "$s1" 10; [ "$rc" = 1 ] || fail "sub of two, one killed: exit $rc"
grep -q "$n.a: .*went away without closing" "$tmp/e1" || fail "sub of two, one killed: $(cat "$tmp/e1")"
grep '^b ' "$tmp/mo" | cmp -s - "$tmp/bin" || fail "sub of two, one killed: the lines of b differ"
grep -qx first "$tmp/mo" || fail "sub of two, one killed: a's line before the kill is missing"
exec 7>&-
wait "$pa" 2>/dev/null
rm -f "$sockdir/$n.a.svc"   # the killed publisher's

# services: the topic with its two subscribers, one stopped 5 lines behind
# (latest: the publisher does not wait for it)
"$M" pub "$n" --latest --wait 2 <"$tmp/fifo" >/dev/null 2>&1 & p=$!
exec 7>"$tmp/fifo"
"$M" sub "$n" >/dev/null 2>&1 7>&- & s1=$!
"$M" sub "$n" >/dev/null 2>&1 7>&- & s2=$!
bg="$p $s1 $s2"
i=0
until "$M" services --json 2>/dev/null | grep -q '"behind_bytes"'; do
    sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || break
done
sleep 0.3
kill -STOP "$s2"
for i in 1 2 3 4 5; do echo "line $i" >&7; done
sleep 0.5
run "$M" services --json
expect 0 '"kind": "topic"' "" "services --json, a topic"
json "services --json"
if command -v python3 >/dev/null 2>&1; then
    python3 -c '
import json, sys
want = {int(sys.argv[2]): 0, int(sys.argv[3]): 5}
t = [s for s in json.load(open(sys.argv[1])) if s["kind"] == "topic"]
assert len(t) == 1 and t[0]["pid"] == int(sys.argv[4]) and t[0]["published"] == 5, t
got = {s["pid"]: s["behind_messages"] for s in t[0]["subscribers"]}
assert got == want, (got, want)
' "$tmp/out" "$s1" "$s2" "$p" || fail "services --json: $(cat "$tmp/out")"
fi
run "$M" services -s
expect 0 "subscriber $s2: 5 messages" "" "services -s"
kill -CONT "$s2"
exec 7>&-
wait_for "$p" 10; [ "$rc" = 0 ] || fail "pub for services: exit $rc"
wait_for "$s1" 10; wait_for "$s2" 10

# nobody comes
t0=$(now)
run "$M" sub "$n" --timeout 1; expect 1 "" "no 'memregion pub $n' accepted within 1 s" "sub, no pub"
run "$M" pub "$n" --timeout 1 </dev/null; expect 1 "" "0 of 1 subscribers came within 1 s" "pub, no sub"
[ $(($(now) - t0)) -le 6 ] || fail "the timeouts took $(($(now) - t0)) s"

# nothing left behind
[ -z "$(ls -A "$sockdir" 2>/dev/null)" ] || fail "left in $sockdir: $(ls -A "$sockdir")"
ls /dev/shm >"$tmp/shm.after" 2>/dev/null
left=$(comm -13 "$tmp/shm.before" "$tmp/shm.after" | grep -i -e topic -e "$n")
[ -z "$left" ] || fail "left in /dev/shm: $left"

[ "$failures" = 0 ] || exit 1
echo "memregion pub, sub: as specified"
