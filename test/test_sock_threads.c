/* SPDX-License-Identifier: MIT */
/* test/test_sock_threads.c: data calls on one socket from several threads
 * at once, as sock.h allows (they only read the struct): a sender thread
 * and a receiving main thread on each end of a stream pair while a third
 * thread reads options, addresses and readiness of the same sockets; and
 * four threads receiving from one datagram socket while main sends. Run
 * under ThreadSanitizer too (label "threads"). */
#include "sock_test.h"

#include <pthread.h>

#define TOTAL (2u << 20)
#define CHUNK 65536
#define DATAGRAMS 4000
#define READERS 4

static struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
static int stop_poking;

static void *send_stream(void *arg)
{
    (void)arg;
    static unsigned char buf[CHUNK];
    for (size_t off = 0; off < TOTAL; off += CHUNK) {
        for (size_t i = 0; i < CHUNK; i++)
            buf[i] = (unsigned char)((off + i) * 13);
        if (mr_sock_send_all(&a, mr_region_make(buf, CHUNK), 10000, NULL) != CHUNK)
            return (void *)1;
    }
    return NULL;
}

static void *poke(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop_poking, __ATOMIC_ACQUIRE)) {
        int v;
        struct mr_addr addr;
        if (mr_sock_get_opt(&a, MR_SOCK_OPT_SNDBUF, &v) != 0 || mr_sock_local_addr(&b, &addr) != 0)
            return (void *)1;
        int rc = mr_sock_wait(&a, MR_SOCK_WRITABLE, 0);
        if (rc < 0 && rc != -ETIMEDOUT)
            return (void *)1;
    }
    return NULL;
}

static void test_stream_two_threads(void)
{
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    pthread_t tx, px;
    ASSERT_EQ(pthread_create(&tx, NULL, send_stream, NULL), 0);
    ASSERT_EQ(pthread_create(&px, NULL, poke, NULL), 0);
    static unsigned char in[CHUNK];
    for (size_t off = 0; off < TOTAL; off += CHUNK) {
        ASSERT_EQ(mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(in), 10000, NULL), (ssize_t)CHUNK);
        for (size_t i = 0; i < CHUNK; i++)
            if (in[i] != (unsigned char)((off + i) * 13))
                mr_test_fail(__FILE__, __LINE__, "byte %zu differs", off + i);
    }
    __atomic_store_n(&stop_poking, 1, __ATOMIC_RELEASE);
    void *r1, *r2;
    ASSERT_EQ(pthread_join(tx, &r1), 0);
    ASSERT_EQ(pthread_join(px, &r2), 0);
    ASSERT_PTR_EQ(r1, NULL);
    ASSERT_PTR_EQ(r2, NULL);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

static unsigned long received[READERS];

static void *read_datagrams(void *arg)
{
    size_t me = (size_t)arg;
    for (;;) {
        uint32_t v;
        int rc = mr_sock_wait(&b, MR_SOCK_READABLE, 5000);
        if (rc < 0)
            return (void *)1;
        ssize_t n = mr_sock_recv(&b, MR_REGION_OF(v), MSG_DONTWAIT);
        if (n == -EAGAIN)
            continue; /* another reader took it */
        if (n != 4)
            return (void *)1;
        if (v == UINT32_MAX)
            return NULL;
        received[me]++;
    }
}

static void test_datagram_readers(void)
{
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_DGRAM, 0));
    pthread_t t[READERS];
    for (size_t i = 0; i < READERS; i++)
        ASSERT_EQ(pthread_create(&t[i], NULL, read_datagrams, (void *)i), 0);
    for (uint32_t i = 0; i < DATAGRAMS; i++)
        ASSERT_EQ(mr_sock_send_all(&a, MR_REGION_OF(i), 5000, NULL), 4);
    for (size_t i = 0; i < READERS; i++) {
        uint32_t end = UINT32_MAX;
        ASSERT_EQ(mr_sock_send_all(&a, MR_REGION_OF(end), 5000, NULL), 4);
    }
    unsigned long total = 0;
    for (size_t i = 0; i < READERS; i++) {
        void *r;
        ASSERT_EQ(pthread_join(t[i], &r), 0);
        ASSERT_PTR_EQ(r, NULL);
        total += received[i];
    }
    ASSERT_EQ(total, (unsigned long)DATAGRAMS);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

int main(void)
{
    MR_TEST_RUN(test_stream_two_threads);
    MR_TEST_RUN(test_datagram_readers);
    return 0;
}
