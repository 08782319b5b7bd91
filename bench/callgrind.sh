#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/callgrind.sh BUILD_DIR: instruction counts of every benchmark variant.
#
# Each variant runs alone under callgrind with collection switched on only
# inside the function that does its work (--toggle-collect), so setup, result
# checks and process start and exit are not counted; what the function calls
# (malloc, the library) is. Prints instructions per element or operation and
# the ratio to the variant's baseline (named by `bench_x --list`, counted in
# this same run). Callgrind counts user-space instructions only: time spent in
# the kernel (page faults, brk) shows in the wall-clock figures, not here.
set -eu

build=${1:?usage: sh bench/callgrind.sh BUILD_DIR}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind.sh: valgrind is not installed; instruction counts skipped"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mr-callgrind.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

echo "callgrind: instructions executed inside each variant's function only"
echo "(valgrind --tool=callgrind --collect-atstart=no --toggle-collect=FUNCTION)"
# count_variants BENCH LIST_FLAG [RUN_FLAG]: every variant that `BENCH
# LIST_FLAG` names, run as `BENCH [RUN_FLAG] NAME`, counted, and a table.
count_variants() {
    bench=$1
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "callgrind.sh: $exe not found (build first)" >&2
        exit 1
    fi
    "$exe" "$2" >"$tmp/list"
    : >"$tmp/counts"
    while read -r name func count unit base; do
        out=$tmp/$bench.$name.cg
        if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
            --toggle-collect="$func" "$exe" ${3:+"$3"} "$name" </dev/null >"$tmp/log" 2>&1; then
            cat "$tmp/log" >&2
            echo "callgrind.sh: $bench $name failed" >&2
            exit 1
        fi
        ir=$(awk '$1 == "summary:" || $1 == "totals:" { print $2; exit }' "$out")
        if [ -z "$ir" ] || [ "$ir" = 0 ]; then
            echo "callgrind.sh: $bench $name: nothing counted in $func (inlined or renamed?)" >&2
            exit 1
        fi
        echo "$name $func $count $unit $base $ir" >>"$tmp/counts"
        rm -f "$out"
    done <"$tmp/list"
    echo
    awk -v bench="$bench" '
        { name[NR] = $1; func_[NR] = $2; count[NR] = $3; unit[NR] = $4; base[NR] = $5; ir[NR] = $6
          irof[$1] = $6 }
        END {
            printf "%s\n", bench
            printf "  %-18s %-24s %13s %9s %-13s %7s %8s\n", "variant", "function", "instructions",
                   "Ir/" unit[1], "baseline", "ratio", "base/var"
            for (i = 1; i <= NR; i++) {
                b = irof[base[i]]
                printf "  %-18s %-24s %13.0f %9.2f %-13s %7.3f %8.2f\n", name[i], func_[i], ir[i],
                       ir[i] / count[i], base[i], ir[i] / b, b / ir[i]
            }
        }' "$tmp/counts"
}

# Every benchmark whose work is user-space code. (bench_shm and bench_pipe
# are kernel- and cache-bound: their figures are wall-clock only; bench_sock
# forks a peer and is counted below.)
for bench in bench_region bench_alloc bench_cursor bench_iobuf bench_map; do
    count_variants "$bench" --list
done

# bench_chan's timed variants spin on another process; its single-process
# variants (both ends in one process, nothing ever waits) count what a
# message costs the library.
count_variants bench_chan --instr-list --instr

# Issue 14's instruction lines, read off those counts: the figure per
# 64-byte message (or its ratio to the hand ring or the unfenced channel),
# the target, met or not.
awk '
    { per[$1] = $6 / $3 }
    function goal(text, fig, unit, target) {
        printf "  %-54s %8.2f%-3s %-10s %s\n", text, fig, unit, "<= " target unit,
               fig <= target ? "met" : "NOT met"
    }
    END {
        print "  issue 14, instructions per 64-byte message (both ends):"
        goal("send + recv", per["chan_copy"], "", 90)
        goal("send + recv, _inline forms", per["chan_copy_inline"], "", 90)
        goal("reserve/commit/peek/release (+ 2 memcpy)", per["chan_zc"], "", 110)
        goal("reserve/commit/peek/release, _inline forms", per["chan_zc_inline"], "", 110)
        goal("batch of 32, reserve_n/commit_n/peek_n/release / ring", per["chan_zc_b32"] / per["ring"], "x", 1.25)
        goal("batch of 32, send_n/recv_n / ring", per["chan_copy_b32"] / per["ring"], "x", 1.25)
        goal("batch of 32, send_fixed_n/recv_fixed_n / ring", per["chan_fixed_b32"] / per["ring"], "x", 1.25)
        goal("fenced send + recv / unfenced", per["chan_copy_fenced"] / per["chan_copy"], "x", 1.3)
        goal("fenced _inline forms / unfenced", per["chan_copy_inline_fenced"] / per["chan_copy_inline"], "x", 1.3)
    }' "$tmp/counts"

# bench_topic's single-process variants: one process publishes and takes
# back as the only subscriber; against the channel's calls and _inline forms.
count_variants bench_topic --instr-list --instr

# bench_sock forks its peer, which runs under callgrind too; only the
# measured function is counted, in whichever process ran it (the larger of
# the two counts). Added instructions per unit, not a ratio: the raw side is
# a libc wrapper of a few instructions and the system call is not counted.
bench=bench_sock
exe=$build/bench/$bench
if [ -x "$exe" ]; then
    echo
    echo "$bench: instructions inside each variant's function (this process's side)"
    printf '  %-20s %-14s %12s %9s %-20s %9s\n' variant function instructions "Ir/unit" baseline \
        "added/unit"
    "$exe" --list >"$tmp/list"
    while read -r name func count unit base; do
        rm -f "$tmp"/cg.*
        valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" --collect-atstart=no \
            --toggle-collect="$func" "$exe" "$name" </dev/null >/dev/null 2>&1 ||
            { echo "callgrind.sh: $bench $name failed" >&2; exit 1; }
        ir=$(for f in "$tmp"/cg.*; do
                 awk '$1 == "summary:" || $1 == "totals:" { print $2; exit }' "$f"
             done | sort -n | tail -n 1)
        echo "$name $func $count $unit $base $ir"
    done <"$tmp/list" >"$tmp/counts"
    awk '{ ir[$1] = $6; line[NR] = $0 }
         END { for (i = 1; i <= NR; i++) { split(line[i], f, " ")
               printf "  %-20s %-14s %12.0f %9.1f %-20s %9.1f\n", f[1], f[2], f[6],
                      f[6] / f[3], f[5], (f[6] - ir[f[5]]) / f[3] } }' "$tmp/counts"
fi
