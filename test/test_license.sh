#!/bin/sh
# SPDX-License-Identifier: MIT
# test_license: the MIT license is at the root, and every source, header,
# script and CMake file says so in its first three lines.
# Arguments: the source tree and the build tree.
set -e
. "$1/test/lib/test.sh"
test -f "$src/LICENSE" || die "no LICENSE at the root"
grep -q '^MIT License' "$src/LICENSE" || die "LICENSE is not the MIT license"
missing=$(cd "$src" && find src include tools test bench fuzz examples cmake completions debian docs .ci \
              CMakeLists.txt Makefile -type f \
              \( -name '*.c' -o -name '*.h' -o -name '*.in' -o -name '*.sh' -o -name '*.py' \
                 -o -name '*.cmake' -o -name '*.bash' -o -name '*.map' -o -name 'CMakeLists.txt' \
                 -o -name 'Makefile' -o -name 'run' -o -name 'rules' \) \
              -not -path 'fuzz/corpus/*' 2>/dev/null |
          while read -r f; do
              head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT' || echo "$f"
          done)
[ -z "$missing" ] || die "no SPDX-License-Identifier line in: $missing"
echo "license: LICENSE, and an SPDX line in every source, header, script and CMake file"
