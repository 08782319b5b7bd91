/* SPDX-License-Identifier: MIT */
/* Must compile: MR_REGION_OF_ARRAY over a real array. */
#include <memregion.h>
int main(void)
{
    char buf[16];
    struct mr_region r = MR_REGION_OF_ARRAY(buf);
    return r.len == sizeof buf ? 0 : 1;
}
