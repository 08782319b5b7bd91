#!/bin/sh
# SPDX-License-Identifier: MIT
# dialect: one cell of the dialect matrix in test/CMakeLists.txt. With the
# compiler and flags given (and -Werror): test/compile/dialect_all.c, which
# uses every public macro and inline function, compiles; so does each public
# header included alone; MR_STATIC_ASSERT of a false condition is refused;
# and region_of_array_pointer.c is refused with MR_REGION_OF_ARRAY's
# message. A compiler this machine lacks is a skip (exit 77), never a pass.
# Arguments: the source tree, the build tree, the compiler, the language
# (c or c++), then the flags of the dialect.
set -e
. "$1/test/lib/test.sh"
cc=$3
lang=$4
shift 4
command -v "$cc" >/dev/null 2>&1 || skip "$cc is not installed (apt-get install gcc g++ clang)"
test_tmpdir dialect
compile() { # $file with the dialect's flags; the compiler's output goes to $tmp/out
    "$cc" -x "$lang" "$@" -Werror -fsyntax-only -I"$src/include" -I"$build/include" \
        "$file" >"$tmp/out" 2>&1
}
echo "$cc $* ($("$cc" --version | head -n 1))"

file=$src/test/compile/dialect_all.c
compile "$@" || { cat "$tmp/out" >&2; die "dialect_all.c does not compile cleanly"; }
echo "ok: dialect_all.c"

n=0
for h in memregion.h $(cd "$src/include" && ls memregion/*.h) memregion/version.h; do
    file=$tmp/alone.c
    printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >"$file"
    compile "$@" || { cat "$tmp/out" >&2; die "<$h> alone does not compile cleanly"; }
    n=$((n + 1))
done
echo "ok: $n headers, each alone"

# MR_STATIC_ASSERT fires, at file scope and at block scope.
for where in file block; do
    file=$tmp/assert_$where.c
    if [ $where = file ]; then
        printf '#include <memregion.h>\nMR_STATIC_ASSERT(sizeof(int) == 0, "must fire");\n' >"$file"
        printf 'int main(void) { return 0; }\n' >>"$file"
    else
        printf '#include <memregion.h>\nint main(void)\n{\n' >"$file"
        printf '    MR_STATIC_ASSERT(sizeof(int) == 0, "must fire");\n    return 0;\n}\n' >>"$file"
    fi
    if compile "$@"; then
        die "MR_STATIC_ASSERT of a false condition at $where scope compiled"
    fi
done
echo "ok: MR_STATIC_ASSERT fires at file and block scope"

file=$src/test/compile/region_of_array_pointer.c
if compile "$@"; then
    die "MR_REGION_OF_ARRAY accepted a pointer"
fi
grep -Eq 'MR_REGION_OF_ARRAY[ _]needs[ _]an[ _]array,?[ _]not[ _]a[ _]pointer' "$tmp/out" || {
    cat "$tmp/out" >&2
    die "region_of_array_pointer.c failed, but not with MR_REGION_OF_ARRAY's message"
}
echo "ok: MR_REGION_OF_ARRAY refuses a pointer"
