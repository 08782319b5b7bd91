#!/bin/sh
# SPDX-License-Identifier: MIT
# dialect: one cell of the dialect matrix in test/CMakeLists.txt. With the
# compiler and flags given (and -Werror): test/compile/dialect_all.c, which
# uses every public macro and inline function, compiles; so does each public
# header included alone; MR_STATIC_ASSERT of a false condition is refused;
# and region_of_array_pointer.c is refused with MR_REGION_OF_ARRAY's
# message. A compiler this machine lacks is a skip (exit 77), never a pass.
# Arguments: the compiler, the language (c or c++), the source tree, the
# build tree, then the flags of the dialect.
set -eu
cc=$1
lang=$2
src=$3
build=$4
shift 4
command -v "$cc" >/dev/null 2>&1 || { echo "SKIP: $cc is not installed" >&2; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mr-dialect-$$-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
compile() { # file, then the output goes to $tmp/out
    "$cc" -x "$lang" "$@" -Werror -fsyntax-only -I"$src/include" -I"$build/include" \
        "$file" >"$tmp/out" 2>&1
}
echo "$cc $* ($("$cc" --version | head -n 1))"

file=$src/test/compile/dialect_all.c
compile "$@" || { cat "$tmp/out" >&2; fail "dialect_all.c does not compile cleanly"; }
echo "ok: dialect_all.c"

n=0
for h in memregion.h $(cd "$src/include" && ls memregion/*.h) memregion/version.h; do
    file=$tmp/alone.c
    printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >"$file"
    compile "$@" || { cat "$tmp/out" >&2; fail "<$h> alone does not compile cleanly"; }
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
        fail "MR_STATIC_ASSERT of a false condition at $where scope compiled"
    fi
done
echo "ok: MR_STATIC_ASSERT fires at file and block scope"

file=$src/test/compile/region_of_array_pointer.c
if compile "$@"; then
    fail "MR_REGION_OF_ARRAY accepted a pointer"
fi
grep -Eq 'MR_REGION_OF_ARRAY[ _]needs[ _]an[ _]array,?[ _]not[ _]a[ _]pointer' "$tmp/out" || {
    cat "$tmp/out" >&2
    fail "region_of_array_pointer.c failed, but not with MR_REGION_OF_ARRAY's message"
}
echo "ok: MR_REGION_OF_ARRAY refuses a pointer"
