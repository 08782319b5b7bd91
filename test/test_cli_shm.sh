#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_shm: `memregion shm` and its subcommands, on real objects in
# /dev/shm named after this test's pid and removed on exit: success paths,
# --json (checked by python3 when present), wrong arguments (exit 2), missing
# objects (exit 1, the object named) and permission denied (as user nobody).
# Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
n=mr-cli-shm-$$
test_tmpdir cli-shm
# shellcheck disable=SC2016 # expanded at exit
at_exit='rm -f "/dev/shm/$n" "/dev/shm/$n-b" "/dev/shm/$n-c" "/dev/shm/$n-z"'

# help, at both levels
run "$M" shm --help;          expect 0 "subcommands:" "" "shm --help"
for s in ls create stat resize chmod chown seal rm cat write; do
    run "$M" shm $s --help;   expect 0 "usage: memregion shm $s" "" "shm $s --help"
done
run "$M" shm;                 expect 2 "" "missing subcommand" "shm without subcommand"
run "$M" shm frob;            expect 2 "" "unknown subcommand 'frob'" "shm frob"

# create, stat, ls
run "$M" shm create "$n" --size 4K --mode 0640
expect 0 "created /$n: 4096 bytes, mode 0640" "" "create"
[ "$(stat -c '%s %a' "/dev/shm/$n")" = "4096 640" ] || fail "create: /dev/shm/$n is $(stat -c '%s %a' "/dev/shm/$n")"
run "$M" shm create "/$n" --size 8K; expect 0 "exists /$n: 8192 bytes, mode 0640" "" "create existing resizes"
run "$M" shm create "$n" --exclusive; expect 1 "" "memregion: shm create: /$n: exists already" "create --exclusive"
run "$M" shm stat "$n";       expect 0 "^size   8192 (8.0 KiB)" "" "stat"
grep -q "^mode   0640" "$tmp/out" || fail "stat: mode line"
run "$M" shm stat "$n" --json; expect 0 "\"name\": \"/$n\"" "" "stat --json"; json "stat --json"
grep -q '"size": 8192' "$tmp/out" || fail "stat --json: size"
run "$M" shm ls;              expect 0 "^/$n  *8192  0640 root" "" "ls"
head -1 "$tmp/out" | grep -q "^NAME *SIZE  *MODE OWNER  *AGE" || fail "ls: header"
run "$M" shm ls --json;       expect 0 "\"name\": \"/$n\"" "" "ls --json"; json "ls --json"

# resize, chmod, chown
run "$M" shm resize "$n" 0x10; expect 0 "" "" "resize"
[ "$(stat -c %s "/dev/shm/$n")" = 16 ] || fail "resize: size is $(stat -c %s "/dev/shm/$n")"
run "$M" shm resize "$n" 1M;  expect 0 "" "" "resize 1M"
[ "$(stat -c %s "/dev/shm/$n")" = 1048576 ] || fail "resize 1M"
run "$M" shm resize "$n" 99999999999999999999; expect 2 "" "invalid size '99999999999999999999': too large" "resize overflow"
run "$M" shm resize "$n" 12Q; expect 2 "" "invalid size '12Q'" "resize 12Q"
run "$M" shm chmod "$n" 0604; expect 0 "" "" "chmod"
[ "$(stat -c %a "/dev/shm/$n")" = 604 ] || fail "chmod: mode $(stat -c %a "/dev/shm/$n")"
run "$M" shm chmod "$n" 0999; expect 2 "" "invalid mode '0999'" "chmod 0999"
run "$M" shm chown "$n" 65534:65534; expect 0 "" "" "chown numbers"
[ "$(stat -c '%u %g' "/dev/shm/$n")" = "65534 65534" ] || fail "chown: $(stat -c '%u %g' "/dev/shm/$n")"
run "$M" shm chown "$n" :0;   expect 0 "" "" "chown :group"
[ "$(stat -c '%u %g' "/dev/shm/$n")" = "65534 0" ] || fail "chown :0 keeps the owner: $(stat -c '%u %g' "/dev/shm/$n")"
run "$M" shm chown "$n" root; expect 0 "" "" "chown by name"
[ "$(stat -c '%u %g' "/dev/shm/$n")" = "0 0" ] || fail "chown root"
run "$M" shm chown "$n" no-such-user-xyz; expect 2 "" "no such user 'no-such-user-xyz'" "chown unknown user"

# write and cat, byte-exact (including NUL bytes and no trailing newline)
head -c 300000 /dev/urandom >"$tmp/data"
run sh -c "'$M' shm write '$n' <'$tmp/data'"; expect 0 "" "" "write"
[ "$(stat -c %s "/dev/shm/$n")" = 300000 ] || fail "write: size $(stat -c %s "/dev/shm/$n")"
"$M" shm cat "$n" >"$tmp/back" || fail "cat: exit $?"
cmp -s "$tmp/data" "$tmp/back" || fail "cat: bytes differ from what write stored"
printf 'ab' | "$M" shm write "$n" || fail "write shorter"
[ "$("$M" shm cat "$n")" = ab ] || fail "write: a shorter input leaves the object that short"
: | "$M" shm write "$n-b" --mode 0600 || fail "write creates"
[ "$(stat -c '%s %a' "/dev/shm/$n-b")" = "0 600" ] || fail "write of nothing: an empty new object"
run "$M" shm cat "$n-b";      expect 0 "" "" "cat empty"; [ -s "$tmp/out" ] && fail "cat empty: output"
run sh -c "printf x | '$M' shm write '$n' --exclusive"; expect 1 "" "/$n: exists already" "write --exclusive"

# one rule for the mode of a new object, in create as in write: 0600 unless
# --mode says otherwise, and an explicit --mode 0 is no access at all
run "$M" shm create "$n-z" --mode 0; expect 0 "created /$n-z: 0 bytes, mode 0000" "" "create --mode 0"
[ "$(stat -c %a "/dev/shm/$n-z")" = 0 ] || fail "create --mode 0: mode $(stat -c %a "/dev/shm/$n-z")"
rm -f "/dev/shm/$n-z"
run sh -c "printf ab | '$M' shm write '$n-z' --mode 0"; expect 0 "" "" "write --mode 0"
[ "$(stat -c '%s %a' "/dev/shm/$n-z")" = "2 0" ] || fail "write --mode 0: $(stat -c '%s %a' "/dev/shm/$n-z")"
rm -f "/dev/shm/$n-z"
run sh -c "printf ab | '$M' shm write '$n-z'"; expect 0 "" "" "write without --mode"
[ "$(stat -c '%s %a' "/dev/shm/$n-z")" = "2 600" ] || fail "write without --mode: $(stat -c '%s %a' "/dev/shm/$n-z")"
rm -f "/dev/shm/$n-z"

# seal: always refused on a named object, with the reason
run "$M" shm seal "$n" shrink,grow; expect 1 "" "shm seal: /$n: named shared-memory objects cannot be sealed" "seal"
run "$M" shm seal "$n" wobble; expect 2 "" "invalid seals 'wobble'" "seal wobble"

# wrong arguments
run "$M" shm create;          expect 2 "" "shm create: missing NAME" "create without name"
run "$M" shm resize "$n";     expect 2 "" "missing SIZE" "resize without size"
run "$M" shm stat "$n" extra; expect 2 "" "unexpected argument 'extra'" "stat extra"
run "$M" shm create "$n" --size; expect 2 "" "option '--size' needs a value" "create --size"
run "$M" shm ls --bogus;      expect 2 "" "unknown option '--bogus'" "ls --bogus"
run "$M" shm stat "a/b";      expect 1 "" "shm stat: a/b: invalid name" "stat a/b"

# missing objects: exit 1, the object named
for s in stat cat "resize x 1" "chmod x 0600" "chown x 0" "seal x shrink" rm; do
    set -- $s
    sub=$1; shift
    [ $# -gt 0 ] && shift
    run "$M" shm "$sub" "$n-missing" "$@"
    expect 1 "" "memregion: shm $sub: /$n-missing: no such shared-memory object" "$sub missing"
done
run "$M" shm rm -f "$n-missing"; expect 0 "" "" "rm -f missing"

# permission denied, as user nobody
if nobody_can "permission denied"; then
    "$M" shm create "$n-c" --size 64 --mode 0600 >/dev/null || fail "create for permission tests"
    run $nobody "$M" shm stat "$n-c";  expect 1 "" "shm stat: /$n-c: Permission denied" "stat as nobody"
    run $nobody "$M" shm cat "$n-c";   expect 1 "" "shm cat: /$n-c: Permission denied" "cat as nobody"
    run sh -c "echo x | $nobody '$M' shm write '$n-c'"; expect 1 "" "shm write: /$n-c: Permission denied" "write as nobody"
    run $nobody "$M" shm rm "$n-c";    expect 1 "" "shm rm: /$n-c: Operation not permitted" "rm as nobody"
    "$M" shm chmod "$n-c" 0644
    run $nobody "$M" shm chmod "$n-c" 0666; expect 1 "" "shm chmod: /$n-c: Operation not permitted" "chmod as nobody"
    run $nobody "$M" shm resize "$n-c" 1; expect 1 "" "shm resize: /$n-c: Permission denied" "resize as nobody"
fi

# rm: several names, the object is gone
run "$M" shm rm "$n" "/$n-b"; expect 0 "" "" "rm"
[ -e "/dev/shm/$n" ] && fail "rm: /dev/shm/$n still exists"
[ -e "/dev/shm/$n-b" ] && fail "rm: /dev/shm/$n-b still exists"

[ "$failures" = 0 ] || exit 1
echo "memregion shm: every subcommand as specified"
