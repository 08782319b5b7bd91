/* SPDX-License-Identifier: MIT */
/* Must not compile: MR_REGION_OF_ARRAY over a pointer, whose sizeof would
 * silently give the pointer's size instead of the buffer's. */
#include <memregion.h>
int main(void)
{
    char buf[16];
    char *p = buf;
    struct mr_region r = MR_REGION_OF_ARRAY(p);
    return (int)r.len;
}
