#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/pipe_dd.sh BUILD_DIR [options]: `memregion pipe` in the pipeline of
# issue 14, against a kernel pipe, with dd on both ends:
#   dd|dd      dd if=FILE bs=1M | dd of=/dev/null bs=1M
#   memregion  dd if=FILE bs=1M | memregion pipe send X
#              memregion pipe recv X | dd of=/dev/null bs=1M
# FILE is made in a temporary directory (removed at exit) and read once
# first, so that every run reads it from the page cache. Three placements:
# unpinned (the scheduler's choice), two CPUs (the writing side on CPU 0,
# the reading side on CPU 1, with taskset) and one CPU (everything on CPU
# 0). Each round runs every placement of every variant once, in a rotating
# order; a run's time goes from the start of its processes to the exit of
# the last, so memregion's includes its start and rendezvous. Printed: GB/s
# (10^9 bytes/s) per round and the ratio to dd|dd in the same round, then
# per placement the median GB/s and the median of the ratios [min .. max].
#
# options:
#   --quick           256 MiB, 3 rounds (about 10 s)
#   --size MIB        the file's size (default 1024)
#   --rounds N        rounds (default 5; 1 GiB takes about 5 s a round)
#   --old MEMREGION   also run this memregion binary (another build, to
#                     compare two versions in one run), as "old"
# memregion is BUILD_DIR/tools/memregion, or $MEMREGION.
set -eu

build=${1:?usage: sh bench/pipe_dd.sh BUILD_DIR [--quick] [--size MIB] [--rounds N] [--old MEMREGION]}
shift
mib=1024
rounds=5
old=
case ${BENCH_QUICK:-0} in 0 | '') ;; *) mib=256 rounds=3 ;; esac
while [ $# -gt 0 ]; do
    case $1 in
    --quick) mib=256 rounds=3 ;;
    --size) mib=${2:?--size needs MIB}; shift ;;
    --rounds) rounds=${2:?--rounds needs N}; shift ;;
    --old) old=${2:?--old needs a memregion binary}; shift ;;
    *) echo "usage: sh bench/pipe_dd.sh BUILD_DIR [--quick] [--size MIB] [--rounds N] [--old MEMREGION]" >&2
       exit 2 ;;
    esac
    shift
done
new=${MEMREGION:-$build/tools/memregion}
for m in "$new" ${old:+"$old"}; do
    [ -x "$m" ] || { echo "pipe_dd.sh: $m not found (build first)" >&2; exit 1; }
done
case $mib in '' | *[!0-9]*) echo "pipe_dd.sh: --size: a whole number of MiB" >&2; exit 2 ;; esac
case $rounds in '' | *[!0-9]*) echo "pipe_dd.sh: --rounds: a whole number" >&2; exit 2 ;; esac
if [ "$mib" -eq 0 ] || [ "$rounds" -eq 0 ]; then echo "pipe_dd.sh: size and rounds > 0" >&2; exit 2; fi

placements="unpinned two one"
if ! command -v taskset >/dev/null 2>&1 || ! taskset -c 0 true 2>/dev/null ||
    ! taskset -c 1 true 2>/dev/null; then
    echo "pipe_dd.sh: CPUs 0 and 1 not both available (or no taskset): unpinned only"
    placements=unpinned
fi
variants="dd mr"
[ -n "$old" ] && variants="dd mr old"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mr-pipe-dd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir -m 0700 "$tmp/xdg"
export XDG_RUNTIME_DIR="$tmp/xdg"
bytes=$((mib * 1048576))
dd if=/dev/zero of="$tmp/file" bs=1M count="$mib" status=none
cat "$tmp/file" >/dev/null

now() { date +%s%N; }
# pin PLACEMENT SIDE: the taskset prefix for the writing (w) or reading (r) side
pin() {
    case $1.$2 in
    unpinned.*) ;;
    two.w | one.*) echo "taskset -c 0" ;;
    two.r) echo "taskset -c 1" ;;
    esac
}
# run VARIANT PLACEMENT: one transfer; prints its nanoseconds
run() {
    w=$(pin "$2" w) r=$(pin "$2" r)
    name=bench-$$-$1-$2
    case $1 in mr) m=$new ;; old) m=$old ;; esac
    t0=$(now)
    if [ "$1" = dd ]; then
        $w dd if="$tmp/file" bs=1M status=none | $r dd of=/dev/null bs=1M 2>"$tmp/dd.err"
    else
        { $w dd if="$tmp/file" bs=1M status=none | $w "$m" pipe send "$name" --quiet; \
          echo $? >"$tmp/send.rc"; } &
        $r "$m" pipe recv "$name" --quiet | $r dd of=/dev/null bs=1M 2>"$tmp/dd.err"
        wait
        [ "$(cat "$tmp/send.rc")" = 0 ] || { echo "pipe_dd.sh: $m pipe send failed" >&2; exit 1; }
    fi
    t1=$(now)
    got=$(tail -n 1 "$tmp/dd.err" | cut -d' ' -f1)
    [ "$got" = "$bytes" ] ||
        { echo "pipe_dd.sh: $1 $2: dd read $got bytes, not $bytes: $(cat "$tmp/dd.err")" >&2; exit 1; }
    echo $((t1 - t0))
}

echo "pipe_dd.sh: $mib MiB from the page cache, $rounds rounds, $(nproc) CPUs," \
     "load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "  dd|dd: dd if=FILE bs=1M | dd of=/dev/null bs=1M"
echo "  mr:    dd if=FILE bs=1M | memregion pipe send X;  memregion pipe recv X | dd of=/dev/null bs=1M"
echo "         ($new)"
[ -n "$old" ] && echo "  old:   the same with $old"
echo "  placements: unpinned; two = writing side on CPU 0, reading side on CPU 1; one = all on CPU 0"
echo "  GB/s = 10^9 bytes/s; ratio = variant GB/s / dd|dd GB/s in the same round (> 1: faster)"
: >"$tmp/times"
# Every run of a round, rotated by the round number: no variant or
# placement always goes first (or right after the file was read).
list=
for p in $placements; do for v in $variants; do list="$list $v.$p"; done; done
n=$(echo "$list" | wc -w)
r=0
while [ $r -lt "$rounds" ]; do
    r=$((r + 1))
    i=0
    for item in $list $list; do
        i=$((i + 1))
        if [ $i -le $((r % n)) ] || [ $i -gt $((r % n + n)) ]; then continue; fi
        v=${item%.*} p=${item#*.}
        t=$(run "$v" "$p")
        echo "$r $p $v $t" >>"$tmp/times"
    done
    awk -v r="$r" -v bytes="$bytes" -v placements="$placements" -v variants="$variants" '
        $1 == r { gbs[$2, $3] = bytes / $4 }
        END {
            np = split(placements, p, " "); nv = split(variants, v, " ")
            printf "  round %-2d", r
            for (i = 1; i <= np; i++) {
                printf "  %s:", p[i]
                for (j = 1; j <= nv; j++) printf " %s %.2f", v[j], gbs[p[i], v[j]]
                for (j = 2; j <= nv; j++) printf " (%.2fx)", gbs[p[i], v[j]] / gbs[p[i], "dd"]
            }
            printf "\n"
        }' "$tmp/times"
done

awk -v bytes="$bytes" -v placements="$placements" -v variants="$variants" '
    function median(a, n,    i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { gbs[$1, $2, $3] = bytes / $4; if ($1 > rounds) rounds = $1 }
    END {
        np = split(placements, p, " "); nv = split(variants, v, " ")
        printf "\n  %-9s %-9s %9s %7s  %-15s %s\n", "placement", "variant", "GB/s", "ratio",
               "[min .. max]", "(medians over rounds; ratio to dd|dd of the same round)"
        for (i = 1; i <= np; i++) for (j = 1; j <= nv; j++) {
            lo = 1e300; hi = 0
            for (r = 1; r <= rounds; r++) {
                g[r] = gbs[r, p[i], v[j]]
                q[r] = g[r] / gbs[r, p[i], "dd"]
                lo = q[r] < lo ? q[r] : lo; hi = q[r] > hi ? q[r] : hi
            }
            ratio = median(q, rounds)
            printf "  %-9s %-9s %9.2f %7.2f  [%.2f .. %.2f]\n", p[i], v[j] == "dd" ? "dd|dd" : v[j],
                   median(g, rounds), ratio, lo, hi
        }
    }' "$tmp/times"
