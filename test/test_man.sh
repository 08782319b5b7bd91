#!/bin/sh
# SPDX-License-Identifier: MIT
# test_man: the man pages in docs/man/ are what docs/gen_man.py makes of the
# headers and of the program's --help (and docs/cli/ still holds that help
# word for word), and man renders every one of them without a warning.
# Arguments: the source tree and the build tree.
set -e
. "$1/test/lib/test.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3 (apt-get install python3)"
[ -x "$build/tools/memregion" ] || die "no program at $build/tools/memregion"
python3 "$src/docs/gen_man.py" --check --memregion "$build/tools/memregion" ||
    die "the man pages are out of step (see above)"

command -v man >/dev/null 2>&1 ||
    skip "no man to render the pages with (make deps, or apt-get install man-db); they are in step"
# Aliases are links to pages in the same directory: they must lead to one.
# The pages themselves go to man in batches, two at a time (each page costs
# man a pipeline of processes); a batch that draws a warning is rendered
# again page by page, to name the page.
pages=$(find "$src/docs/man" -name '*.[137]' -type f | sort)
links=$(find "$src/docs/man" -name '*.[137]' -type l | sort)
[ -n "$pages" ] || die "no pages in $src/docs/man"
for link in $links; do
    [ -f "$link" ] || fail "$link leads nowhere ($(readlink "$link"))"
done
# shellcheck disable=SC2016 # expanded by the inner shell
bad=$(echo "$pages" | xargs -P 2 -n 24 sh -c '
    out=$(MANWIDTH=80 man --warnings -l "$@" 2>&1 >/dev/null) || out="man failed: $out"
    [ -z "$out" ] || for page; do
        out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || out="man failed: $out"
        [ -z "$out" ] || printf "%s: %s\n" "$page" "$out"
    done' sh)
[ -z "$bad" ] || fail "man warns about pages:
$bad"
[ "$failures" = 0 ] || exit 1
n=$(echo "$pages" | wc -l)
l=$(echo "$links" | wc -l)
echo "man pages: $n pages and $l aliases in step, rendered by man without a warning"
