/* SPDX-License-Identifier: MIT */
/* net_skip: what every test_net* program is when memregion was built
 * without UCX (test/CMakeLists.txt): a skip that says how to get UCX. */
#include <stdio.h>

int main(void)
{
    printf("skipped: memregion built without UCX (make deps, or apt-get install libucx-dev)\n");
    return 77;
}
