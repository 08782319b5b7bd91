#!/bin/sh
# SPDX-License-Identifier: MIT
# test_completion: completions/memregion.bash, sourced in bash, registers a
# completion for memregion, and completing words (set up as bash does, in
# COMP_WORDS and COMP_CWORD) gives commands, subcommands, options from the
# program's --help, the names of shared-memory objects in /dev/shm and
# the live services (for connect) and the senders waiting (for pipe recv).
# Arguments: the source tree and the build tree. Exit 0 pass, 1 fail, 77 skip.
set -e
. "$1/test/lib/test.sh"
if ! command -v bash >/dev/null 2>&1; then
    echo "SKIP: bash is not installed" >&2
    exit 77
fi
test -x "$build/tools/memregion" || { echo "FAIL: no $build/tools/memregion" >&2; exit 1; }
name=mr-compl-test-$$
# shellcheck disable=SC2016
exec bash -c '
set -u
src=$1 build=$2 name=$3
PATH=$build/tools:$PATH
die_removing() { echo "FAIL: $*" >&2; memregion shm rm -f "$name" 2>/dev/null; exit 1; }
# shellcheck source=../completions/memregion.bash
source "$src/completions/memregion.bash" || die_removing "sourcing the completion"
complete -p memregion | grep -q -- "-F _memregion memregion" || die_removing "complete -p memregion: $(complete -p memregion 2>&1)"

# complete WORD... : completes the last word, prints the candidates sorted.
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _memregion
    ((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
}
expect() { # expected, words...
    want=$1
    shift
    got=$(complete_words "$@")
    test "$got" = "$want" || die_removing "memregion ${*:2}<TAB>: got \"$got\", expected \"$want\""
}
contains() { # candidate, words...
    want=$1
    shift
    got=$(complete_words "$@")
    case " $got" in *" $want "*) ;; *) die_removing "memregion ${*:2}<TAB>: \"$want\" not in \"$got\"" ;; esac
}

expect "share shm " memregion sh
expect "demo dump " memregion d
expect "cat chmod chown create ls resize rm seal stat write " memregion shm ""
expect "recv send " memregion pipe ""
expect "export get put " memregion net ""
expect "--token-file --transport " memregion net export x --t
expect "--timeout --to --transport " memregion pipe send x --t
expect "share shm " memregion help sh
expect "--help --version " memregion --
expect "--count " memregion dump /bin/ls --co
contains "--layout" memregion dump /bin/ls -
expect "--exclusive " memregion shm create x --ex
expect "--capacity " memregion pipe send x --cap
expect "--any-user " memregion share x --an
expect "serve services " memregion se
expect "--capacity " memregion serve x --cap
# An option that takes a value other than a path completes nothing.
expect "" memregion shm create x --size ""

memregion shm create "$name" --size 64 >/dev/null || die_removing "memregion shm create $name"
contains "$name" memregion shm stat ""
expect "$name " memregion shm rm "${name%??}"
contains "/$name" memregion dump "shm:/"
contains "/$name" memregion net export "shm:/"
memregion shm rm "$name" || die_removing "memregion shm rm $name"
got=$(complete_words memregion shm stat "$name")
test -z "$got" || die_removing "a removed object is still offered: $got"
# connect offers the live services (in a directory of this test'"'"'s own).
XDG_RUNTIME_DIR=$(mktemp -d) || die_removing "mktemp"
export XDG_RUNTIME_DIR
memregion serve "$name" --timeout 10 </dev/null >/dev/null 2>&1 &
spid=$!
for _ in $(seq 200); do [ -S "$XDG_RUNTIME_DIR/memregion-$(id -u)/$name.svc" ] && break; sleep 0.02; done
got=$(complete_words memregion connect "${name%??}")
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
test "$got" = "$name " || die_removing "memregion connect ${name%??}<TAB>: got \"$got\", expected \"$name \""
# pipe recv offers the senders waiting (the services pipe-NAME), without the prefix.
memregion pipe send "$name" --timeout 10 </dev/null >/dev/null 2>&1 &
spid=$!
for _ in $(seq 200); do [ -S "$XDG_RUNTIME_DIR/memregion-$(id -u)/pipe-$name.svc" ] && break; sleep 0.02; done
got=$(complete_words memregion pipe recv "${name%??}")
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
rm -rf "$XDG_RUNTIME_DIR"
test "$got" = "$name " || die_removing "memregion pipe recv ${name%??}<TAB>: got \"$got\", expected \"$name \""
echo "completion: commands, subcommands, options, shm names, services and waiting pipes"
' bash "$src" "$build" "$name"
