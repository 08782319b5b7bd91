/* SPDX-License-Identifier: MIT */
/* test/test_map_sigbus.c: the map's guarded copies (the SIGBUS guard itself
 * is tested by test_guard.c). A file is mapped, another process truncates
 * it, and mr_map_copy_out and mr_map_copy_in out of and into the vanished
 * pages return -EFAULT, again and again, also for a range half inside the
 * file and half past it and for a vanished destination, for shared,
 * read-only and private maps, while what is left of the file still copies;
 * populate reports the vanished pages too. */
#include "sigbus_test.h"
#include "map_internal.h"

/* ---- guarded copies of a map ------------------------------------------------ */

static void test_shared(off_t keep)
{
    struct mr_map m;
    uint8_t buf[300], *base;

    mr_test_sigbus_map_truncated(&m, "shared", 4, MR_MAP_SHARED, keep);
    base = m.region.ptr;

    /* Out of a vanished page, twice; and half inside, half past the end. */
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps, buf, 100), -EFAULT);
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps, buf, 100), -EFAULT);
    ASSERT_ERR(mr_map_copy_out(&m, 4 * ps - 1, buf, 1), -EFAULT);
    ASSERT_ERR(mr_map_copy_out(&m, ps - 150, buf, 300), -EFAULT);
    /* Into one. */
    ASSERT_ERR(mr_map_copy_in(&m, 3 * ps, buf, 10), -EFAULT);
    ASSERT_ERR(mr_map_copy_in(&m, ps - 150, buf, 300), -EFAULT);
    /* Populating meets the vanished pages and says so, with or without
     * MADV_POPULATE_READ. */
    ASSERT_ERR(mr_map_populate(&m), -EFAULT);
    ASSERT_ERR(mr__map_touch(m.region.ptr, m.region.len), -EFAULT);

    if (keep > 0) {
        /* A fault on the destination is caught as well as one on the source
         * (mr_guard_copy guards both ranges): out of the good page into a
         * vanished one, and into the good page from a vanished one. */
        ASSERT_ERR(mr_map_copy_out(&m, 0, base + 2 * ps, 16), -EFAULT);
        ASSERT_ERR(mr_map_copy_in(&m, 0, base + 2 * ps, 16), -EFAULT);
        /* What is left of the file still works, both ways. */
        ASSERT_OK(mr_map_copy_out(&m, 0, buf, 200));
        for (size_t i = 0; i < 200; i++)
            ASSERT_EQ(buf[i], mr_test_sigbus_pat(i));
        ASSERT_OK(mr_map_copy_in(&m, ps - 4, "tail", 4));
        ASSERT_MEM_EQ(base + ps - 4, "tail", 4);
        ASSERT_OK(mr__map_touch(m.region.ptr, (size_t)keep));
    } else {
        ASSERT_ERR(mr_map_copy_out(&m, 0, buf, 1), -EFAULT);
    }
    /* The guard still works after all those jumps. */
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps, buf, 100), -EFAULT);
    mr_map_close(&m);
}

static void test_read_only(void)
{
    struct mr_map m;
    uint8_t buf[64];

    mr_test_sigbus_map_truncated(&m, "readonly", 3, MR_MAP_READ, 0);
    ASSERT_ERR(mr_map_copy_out(&m, 0, buf, sizeof buf), -EFAULT);
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps + 1, buf, sizeof buf), -EFAULT);
    ASSERT_ERR(mr_map_copy_in(&m, 0, buf, sizeof buf), -EACCES); /* refused before any touch */
    ASSERT_ERR(mr_map_copy_out(&m, 3 * ps, buf, 1), -ERANGE);
    mr_map_close(&m);
}

static void test_private(void)
{
    const char *p = mr_test_sigbus_file("private", 3);
    struct mr_map m;
    uint8_t buf[64];

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_PRIVATE, 0));
    mr_test_sigbus_touch(m.region);
    ASSERT_OK(mr_map_copy_in(&m, ps, "cow", 3)); /* page 1 is now this process's copy */
    mr_test_sigbus_truncate(p, 0);
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps, buf, sizeof buf), -EFAULT);
    ASSERT_ERR(mr_map_copy_in(&m, 0, buf, sizeof buf), -EFAULT);
    mr_map_close(&m);
}

int main(void)
{
    mr_test_tmpdir(); /* before any fork: the directory is this process's */
    ps = (size_t)sysconf(_SC_PAGESIZE);
    test_shared(0);
    test_shared((off_t)ps);
    test_read_only();
    test_private();
    return 0;
}
