#!/bin/sh
# SPDX-License-Identifier: MIT
# test_wire: docs/wire.md, the wire format of services, channels and
# `memregion pipe`, agrees with the sources (test/check_wire.py: sizes,
# offsets, magics, versions, name forms), and the check fails when either
# side changes alone. Arguments: the source tree and the build tree.
. "$1/test/lib/test.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3 (apt-get install python3)"
python3 "$src/test/check_wire.py" "$src" || die "docs/wire.md and the sources disagree (above)"

# The check can fail: each change below, made in a copy of the files it
# reads, must be reported.
test_tmpdir wire
# mutant FILE SED_EXPR EXPECTED: copy the files, apply the change, expect the report
mutant() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t/docs" "$tmp/t/src" "$tmp/t/include/memregion" "$tmp/t/tools"
    cp "$src/docs/wire.md" "$tmp/t/docs/"
    cp "$src/src/svc_internal.h" "$src/src/svc_proto.c" "$src/src/chan.c" "$tmp/t/src/"
    cp "$src/include/memregion/chan.h" "$src/include/memregion/svc.h" "$tmp/t/include/memregion/"
    cp "$src/tools/pipe_proto.h" "$src/tools/cmd_pipe.c" "$tmp/t/tools/"
    sed -i "$2" "$tmp/t/$1"
    cmp -s "$src/$1" "$tmp/t/$1" && die "mutant $1 '$2': the change did not apply"
    if python3 "$src/test/check_wire.py" "$tmp/t" >"$tmp/out" 2>&1; then
        fail "check_wire passed with $1 changed by '$2'"
    elif ! grep -q -- "$3" "$tmp/out"; then
        fail "check_wire, $1 changed by '$2': '$3' not reported: $(cat "$tmp/out")"
    fi
}
mutant docs/wire.md 's/`MRSVCHI1`/`MRSVCHI2`/' "The hello: the magic"
mutant src/svc_internal.h 's/^#define MR__SVC_REPLY_LEN 32$/#define MR__SVC_REPLY_LEN 40/' "The reply: its size"
mutant src/svc_internal.h 's/^#define MR__SVC_VERSION 1u$/#define MR__SVC_VERSION 2u/' "the version"
mutant src/svc_proto.c 's/mr_store_u32le(buf, 16, shape)/mr_store_u32le(buf, 20, shape)/' "The reply: (offset, size)"
mutant include/memregion/chan.h 's/^#define MR__CHAN_H_TAIL 384$/#define MR__CHAN_H_TAIL 392/' "the header's tail: offset"
mutant src/chan.c 's/^#define CHAN_VERSION 2u$/#define CHAN_VERSION 3u/' "the header's version"
mutant tools/pipe_proto.h 's/"MRPIPE2i"/"MRPIPE3i"/' "the pipe's info tag"
mutant tools/cmd_pipe.c 's/^#define PIPE_PREFIX "pipe-"$/#define PIPE_PREFIX "p-"/' "the pipe's service name"

[ "$failures" = 0 ] || exit 1
echo "docs/wire.md agrees with the sources, and the check catches a change"
