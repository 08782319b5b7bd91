#!/bin/sh
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
for bench in bench_region bench_alloc; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "callgrind.sh: $exe not found (build first)" >&2
        exit 1
    fi
    "$exe" --list >"$tmp/list"
    : >"$tmp/counts"
    while read -r name func count unit base; do
        out=$tmp/$bench.$name.cg
        if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
            --toggle-collect="$func" "$exe" "$name" </dev/null >"$tmp/log" 2>&1; then
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
done

# bench_cursor (cursor issue: a cursor parser within 1.3x of the instructions of
# a raw-pointer parser): the same steps as the loop above, except that counts
# print with %.0f (mawk's %d stops at 2^31 - 1, which the stdio variants pass).
for bench in bench_cursor; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "callgrind.sh: $exe not found (build first)" >&2
        exit 1
    fi
    "$exe" --list >"$tmp/list"
    : >"$tmp/counts"
    while read -r name func count unit base; do
        out=$tmp/$bench.$name.cg
        if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
            --toggle-collect="$func" "$exe" "$name" </dev/null >"$tmp/log" 2>&1; then
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
done

# bench_iobuf (issue 3; its goal is in wall time, see run.sh): the same steps
# as the loop above. memcpy's count is not comparable: glibc copies these
# sizes with `rep movsb`, which callgrind counts once per byte copied.
for bench in bench_iobuf; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "callgrind.sh: $exe not found (build first)" >&2
        exit 1
    fi
    "$exe" --list >"$tmp/list"
    : >"$tmp/counts"
    while read -r name func count unit base; do
        out=$tmp/$bench.$name.cg
        if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
            --toggle-collect="$func" "$exe" "$name" </dev/null >"$tmp/log" 2>&1; then
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
done

# bench_map (issue 4; its goal is in wall time, see run.sh): the same steps as
# the loop above, on the 64 KiB copies. Every variant calls the same memcpy
# (glibc's `rep movsb`, counted once per byte), so the difference between a
# variant and its baseline is the guard's own instructions per copy.
for bench in bench_map; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "callgrind.sh: $exe not found (build first)" >&2
        exit 1
    fi
    "$exe" --list >"$tmp/list"
    : >"$tmp/counts"
    while read -r name func count unit base; do
        out=$tmp/$bench.$name.cg
        if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
            --toggle-collect="$func" "$exe" "$name" </dev/null >"$tmp/log" 2>&1; then
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
done
