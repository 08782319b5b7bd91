/* SPDX-License-Identifier: MIT */
/* test_shm_python: interoperation with a peer nobody here wrote, Python's
 * multiprocessing.shared_memory.SharedMemory (python3 run by fork and exec,
 * killed by SIGALRM if it hangs), both ways:
 *   C creates and writes; Python attaches, reads, changes; C sees the change.
 *   Python creates and writes; C opens by name, reads, writes; Python sees
 *   that and unlinks the object; C sees it gone.
 * Python names carry no leading '/'. Python's resource_tracker would unlink
 * an object it saw at exit (before 3.13 also one it only attached to), so
 * the script opts out: track=False on 3.13+, unregister before that.
 * Skipped (77) when python3 is missing. */
#include "shm_test.h"

#include <signal.h>
#include <sys/wait.h>

#define SIZE 4096
#define PY_TIMEOUT 30

static const char script[] =
    "import sys\n"
    "from multiprocessing import shared_memory, resource_tracker\n"
    "op, name = sys.argv[1], sys.argv[2]\n"
    "kw = {'track': False} if sys.version_info >= (3, 13) else {}\n"
    "def untrack(shm):\n"
    "    if not kw:\n"
    "        resource_tracker.unregister(shm._name, 'shared_memory')\n"
    "if op == 'change':\n"
    "    shm = shared_memory.SharedMemory(name=name, **kw)\n"
    "    untrack(shm)\n"
    "    assert shm.size >= 4096, shm.size\n"
    "    assert bytes(shm.buf[:6]) == b'from C', bytes(shm.buf[:6])\n"
    "    assert bytes(shm.buf[4000:4096]) == bytes(range(96)), 'tail'\n"
    "    shm.buf[100:111] = b'from Python'\n"
    "    shm.close()\n"
    "elif op == 'create':\n"
    "    shm = shared_memory.SharedMemory(name=name, create=True, size=4096, **kw)\n"
    "    untrack(shm)\n"
    "    shm.buf[:11] = b'from Python'\n"
    "    shm.buf[4095] = 0xab\n"
    "    shm.close()\n"
    "elif op == 'check-unlink':\n"
    "    shm = shared_memory.SharedMemory(name=name, **kw)\n"
    "    ok = bytes(shm.buf[200:206]) == b'from C' and shm.buf[4095] == 0xcd\n"
    "    shm.close()\n"
    "    shm.unlink()\n"
    "    sys.exit(0 if ok else 3)\n"
    "else:\n"
    "    sys.exit(2)\n";

/* Run python3 -c script op name; its exit status, or 1000 + a signal. */
static int run_python(const char *op, const char *name)
{
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        /* alarm survives exec: a hung interpreter dies of SIGALRM. */
        signal(SIGALRM, SIG_DFL);
        alarm(PY_TIMEOUT);
        execlp("python3", "python3", "-c", script, op, name, (char *)NULL);
        _exit(127);
    }
    return mr_test_wait(pid);
}

static void c_creates(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    struct mr_map m;
    mr_test_shm_name(name, "py-c");
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
    ASSERT_OK(mr_shm_resize(&shm, SIZE));
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m));
    memcpy(m.region.ptr, "from C", 6);
    for (int i = 0; i < 96; i++)
        ASSERT_OK(mr_region_set_u8(m.region, 4000 + (size_t)i, (uint8_t)i));

    int rc = run_python("change", name + 1);
    ASSERT_EQ(rc, 0);
    ASSERT_MEM_EQ((char *)m.region.ptr + 100, "from Python", 11);
    ASSERT_MEM_EQ(m.region.ptr, "from C", 6);
    /* Python neither unlinked nor resized it. */
    ASSERT_TRUE(mr_test_shm_exists(name));
    struct mr_shm_stat st;
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.size, (uint64_t)SIZE);
    mr_shm_unmap(&m);
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_OK(mr_shm_unlink(name));
}

static void python_creates(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    struct mr_map m;
    mr_test_shm_name(name, "py-py");
    ASSERT_EQ(run_python("create", name + 1), 0);

    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0));
    ASSERT_EQ(shm.flags & MR_SHM_CREATED, 0u);
    struct mr_shm_stat st;
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_GE(st.size, (uint64_t)SIZE); /* Python may round up to a page */
    ASSERT_EQ(st.mode, (mode_t)0600);
    ASSERT_EQ(st.uid, geteuid());
    ASSERT_OK(mr_shm_map(&shm, 0, SIZE, 0, &m));
    ASSERT_MEM_EQ(m.region.ptr, "from Python", 11);
    uint8_t v;
    ASSERT_OK(mr_region_get_u8(m.region, SIZE - 1, &v));
    ASSERT_EQ(v, 0xab);
    memcpy((char *)m.region.ptr + 200, "from C", 6);
    ASSERT_OK(mr_region_set_u8(m.region, SIZE - 1, 0xcd));
    mr_shm_unmap(&m);
    ASSERT_OK(mr_shm_close(&shm));

    ASSERT_EQ(run_python("check-unlink", name + 1), 0);
    ASSERT_FALSE(mr_test_shm_exists(name));
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0), -ENOENT);
}

int main(void)
{
    mr_test_shm_begin();
    int rc = run_python("probe", "none"); /* the script exits 2 for an unknown op */
    if (rc == 127)
        mr_test_skip("python3 is not installed (install python3 3.8+)");
    if (rc != 2)
        mr_test_skip("python3 lacks multiprocessing.shared_memory (install python3 3.8+)");
    c_creates();
    python_creates();
    mr_test_shm_end();
    return 0;
}
