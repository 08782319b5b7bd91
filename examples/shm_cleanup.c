/* SPDX-License-Identifier: MIT */
/* shm_cleanup: a named shared-memory object from creation to removal, with
 * goto-based unwinding. C has no with-open-shm: each resource gets one
 * cleanup step, the steps run in reverse order of acquisition, and a step
 * whose resource was never acquired does nothing (a closed struct mr_shm, an
 * empty struct mr_map), so every failure jumps to the same label. */
#include <memregion.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    struct mr_shm shm = MR_SHM_INIT;
    struct mr_map m = { 0 };
    bool created = false;
    char name[64];
    int rc;

    /* The pid keeps two runs at once apart. */
    snprintf(name, sizeof name, "/memregion-example-%ld", (long)getpid());

    rc = mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0600);
    if (rc < 0)
        goto out;
    created = true;
    if ((rc = mr_shm_resize(&shm, 4096)) < 0)
        goto out;
    if ((rc = mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m)) < 0)
        goto out;

    /* Another process opening the same name would see these bytes. */
    rc = snprintf(m.region.ptr, m.region.len, "hello from %ld", (long)getpid());
    if (rc < 0)
        goto out;
    struct mr_shm_stat st;
    if ((rc = mr_shm_stat(&shm, &st)) < 0)
        goto out;
    printf("%s: %llu bytes, mode %03o, says \"%s\"\n", shm.name, (unsigned long long)st.size,
           (unsigned)st.mode, (const char *)m.region.ptr);
    rc = 0;

out:
    mr_shm_unmap(&m);
    mr_shm_close(&shm);
    /* Unlink only what this run created: on -EEXIST the name is someone else's. */
    if (created) {
        int urc = mr_shm_unlink(name);
        if (rc == 0)
            rc = urc;
    }
    if (rc < 0) {
        fprintf(stderr, "shm_cleanup: %s\n", mr_strerror(rc));
        return 1;
    }
    return 0;
}
