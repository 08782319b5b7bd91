#!/bin/sh
# SPDX-License-Identifier: MIT
# test_deb (label "long": not part of `make check`; run with `make check-long`
# or `ctest -L long`): `make deb` builds libmemregion0, libmemregion-dev,
# memregion-tools, libmemregion-net0 and libmemregion-net-dev with
# dpkg-buildpackage, and lintian reports no error.
# Arguments: the source tree and the build tree.
set -e
. "$1/test/lib/test.sh"
command -v dpkg-buildpackage >/dev/null 2>&1 && command -v lintian >/dev/null 2>&1 ||
    skip "dpkg-buildpackage or lintian is missing (apt-get install dpkg-dev debhelper lintian)"
test_tmpdir deb
make -s -C "$src" deb DEB_OUT="$tmp/out" >"$tmp/deb.log" 2>&1 ||
    { tail -30 "$tmp/deb.log" >&2; die "make deb failed"; }
for p in libmemregion0 libmemregion-dev memregion-tools libmemregion-net0 libmemregion-net-dev; do
    ls "$tmp/out/${p}_"*.deb >/dev/null 2>&1 || die "no $p package"
done
dpkg-deb -c "$tmp/out/libmemregion-net-dev_"*.deb | grep -q 'usr/include/memregion/net.h' ||
    die "libmemregion-net-dev lacks memregion/net.h"
dpkg-deb -c "$tmp/out/libmemregion-dev_"*.deb | grep -q 'usr/include/memregion/net.h' &&
    die "libmemregion-dev holds memregion/net.h (libmemregion-net-dev's)"
lintian "$tmp/out/"*.changes >"$tmp/lintian.log" 2>&1 || true
if grep -q '^E:' "$tmp/lintian.log"; then
    cat "$tmp/lintian.log" >&2
    die "lintian reports errors"
fi
dpkg-deb -c "$tmp/out/libmemregion-dev_"*.deb | grep -q 'usr/share/man/man3/mr_chan_reserve.3' ||
    die "libmemregion-dev lacks the section 3 pages"
dpkg-deb -c "$tmp/out/memregion-tools_"*.deb | grep -q 'usr/share/man/man1/memregion-pipe.1' ||
    die "memregion-tools lacks the section 1 pages"
echo "make deb: five packages, man pages in place, no lintian error"
