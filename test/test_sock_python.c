/* SPDX-License-Identifier: MIT */
/* test/test_sock_python.c: talking to peers nobody here wrote: Python's
 * socket module, run as python3 -c SCRIPT in a forked child.
 *
 * TCP echo both ways (a Python server and a C client, a C server and a
 * Python client), a UDP exchange both ways, and fds both ways over a Unix
 * socket pair (socket.send_fds / socket.recv_fds against mr_sock_send_fds /
 * mr_sock_recv_fds). Loopback only. Every Python script arms
 * signal.alarm(10) and a 5 s timeout on its sockets, and every wait on the
 * C side is bounded, so nothing hangs. Skipped (77) without python3 (3.9+,
 * for send_fds). */
#include "sock_test.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>

static const char tcp_echo_server[] =
    "import socket, signal\n"
    "signal.alarm(10)\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
    "s.bind(('127.0.0.1', 0)); s.listen(1)\n"
    "print(s.getsockname()[1], flush=True)\n"
    "s.settimeout(5)\n"
    "c, _ = s.accept(); c.settimeout(5)\n"
    "while True:\n"
    "    d = c.recv(65536)\n"
    "    if not d: break\n"
    "    c.sendall(d)\n"
    "c.close(); s.close()\n";

static const char tcp_client[] =
    "import socket, signal, sys\n"
    "signal.alarm(10)\n"
    "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)\n"
    "data = bytes((i * 7) & 255 for i in range(50000))\n"
    "c.sendall(data); c.shutdown(socket.SHUT_WR)\n"
    "got = b''\n"
    "while True:\n"
    "    d = c.recv(65536)\n"
    "    if not d: break\n"
    "    got += d\n"
    "sys.exit(0 if got == data else 1)\n";

static const char udp_sender[] =
    "import socket, signal, sys\n"
    "signal.alarm(10)\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)\n"
    "s.sendto(b'ping from python', ('127.0.0.1', int(sys.argv[1])))\n"
    "d, a = s.recvfrom(100)\n"
    "sys.exit(0 if d == b'pong from C' and a[1] == int(sys.argv[1]) else 1)\n";

static const char udp_echo[] =
    "import socket, signal\n"
    "signal.alarm(10)\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)\n"
    "s.bind(('127.0.0.1', 0))\n"
    "print(s.getsockname()[1], flush=True)\n"
    "d, a = s.recvfrom(100)\n"
    "s.sendto(d.upper(), a)\n";

static const char unix_fds[] =
    "import os, signal, socket, sys\n"
    "signal.alarm(10)\n"
    "s = socket.socket(fileno=3); s.settimeout(5)\n"
    "assert s.family == socket.AF_UNIX\n"
    "msg, fds, flags, addr = socket.recv_fds(s, 100, 4)\n"
    "assert msg == b'two fds from C', msg\n"
    "assert len(fds) == 2, fds\n"
    "assert os.read(fds[0], 100) == b'through a pipe'\n"
    "assert os.pread(fds[1], 100, 0) == b'in a memfd'\n"
    "for f in fds: os.close(f)\n"
    "mf = os.memfd_create('py')\n"
    "os.write(mf, b'python memfd')\n"
    "pr, pw = os.pipe()\n"
    "os.write(pw, b'python pipe')\n"
    "socket.send_fds(s, [b'two fds from python'], [mf, pr])\n"
    "os.close(mf); os.close(pr); os.close(pw)\n"
    "sys.exit(0 if s.recv(10) == b'ok' else 1)\n";

/* python3 -c script [arg], with its stdout into out_w (if >= 0) and
 * pass_fd as its fd 3 (if >= 0). */
static pid_t spawn_python(const char *script, const char *arg, int out_w, int pass_fd)
{
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        if (out_w >= 0 && dup2(out_w, 1) < 0)
            _exit(126);
        if (pass_fd >= 0 && dup2(pass_fd, 3) < 0)
            _exit(126);
        char *argv[] = { "python3", "-c", (char *)script, (char *)arg, NULL };
        execvp("python3", argv);
        _exit(127);
    }
    return pid;
}

/* The port a Python script prints on its first line, read within 5 s. */
static unsigned read_port(int fd)
{
    char line[32];
    size_t n = 0;
    int64_t end = mr_test_now_ms() + 5000;
    while (n < sizeof line - 1 && (n == 0 || line[n - 1] != '\n')) {
        struct pollfd p = { fd, POLLIN, 0 };
        int left = (int)(end - mr_test_now_ms());
        ASSERT_GT(left, 0);
        ASSERT_GT(poll(&p, 1, left), 0);
        ssize_t k = read(fd, line + n, sizeof line - 1 - n);
        ASSERT_GT(k, 0);
        n += (size_t)k;
    }
    line[n] = '\0';
    unsigned port = (unsigned)strtoul(line, NULL, 10);
    ASSERT_GT(port, 0u);
    return port;
}

static void test_tcp_python_server(void)
{
    int pp[2];
    ASSERT_OK(pipe2(pp, O_CLOEXEC));
    pid_t pid = spawn_python(tcp_echo_server, NULL, pp[1], -1);
    close(pp[1]);
    unsigned port = read_port(pp[0]);
    close(pp[0]);

    char text[64];
    struct mr_sock c = MR_SOCK_INIT;
    struct mr_addr_error err;
    snprintf(text, sizeof text, "127.0.0.1:%u", port);
    ASSERT_OK(mr_sock_open_connect_text(&c, text, SOCK_STREAM, 5000, &err));
    unsigned char out[4096], in[4096];
    for (int round = 0; round < 16; round++) {
        for (size_t i = 0; i < sizeof out; i++)
            out[i] = (unsigned char)(i + (size_t)round * 31);
        ASSERT_EQ(mr_sock_send_all(&c, MR_REGION_OF_ARRAY(out), 5000, NULL), (ssize_t)sizeof out);
        ASSERT_EQ(mr_sock_recv_exact(&c, MR_REGION_OF_ARRAY(in), 5000, NULL), (ssize_t)sizeof in);
        ASSERT_MEM_EQ(in, out, sizeof out);
    }
    ASSERT_OK(mr_sock_shutdown(&c, SHUT_WR));
    ASSERT_EQ(mr_sock_recv_exact(&c, MR_REGION_OF_ARRAY(in), 5000, NULL), 0); /* Python closed */
    mr_sock_close(&c);
    ASSERT_EQ(mr_test_wait(pid), 0);
}

static void test_tcp_python_client(void)
{
    struct mr_sock l = MR_SOCK_INIT, c = MR_SOCK_INIT;
    struct mr_addr addr;
    char port[16];
    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, 1, 0));
    ASSERT_OK(mr_sock_local_addr(&l, &addr));
    snprintf(port, sizeof port, "%d", mr_addr_port(&addr));
    pid_t pid = spawn_python(tcp_client, port, -1, -1);
    ASSERT_OK(mr_sock_accept(&l, &c, NULL, 5000));
    unsigned char buf[8192];
    size_t total = 0;
    for (;;) {
        ASSERT_GT(mr_sock_wait(&c, MR_SOCK_READABLE, 5000), 0);
        ssize_t n = mr_sock_recv(&c, MR_REGION_OF_ARRAY(buf), 0);
        ASSERT_GE(n, 0);
        if (n == 0)
            break;
        total += (size_t)n;
        ASSERT_EQ(mr_sock_send_all(&c, mr_region_make(buf, (size_t)n), 5000, NULL), n);
    }
    ASSERT_EQ(total, (size_t)50000);
    mr_sock_close(&c);
    mr_sock_close(&l);
    ASSERT_EQ(mr_test_wait(pid), 0);
}

static void test_udp_python_sender(void)
{
    struct mr_sock s = MR_SOCK_INIT;
    struct mr_addr addr, from;
    char port[16], buf[64];
    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_bind(&s, &addr, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_local_addr(&s, &addr));
    snprintf(port, sizeof port, "%d", mr_addr_port(&addr));
    pid_t pid = spawn_python(udp_sender, port, -1, -1);
    ASSERT_GT(mr_sock_wait(&s, MR_SOCK_READABLE, 5000), 0);
    size_t full;
    ssize_t n = mr_sock_recv_from(&s, MR_REGION_OF_ARRAY(buf), 0, &from, &full);
    ASSERT_EQ(n, 16);
    ASSERT_EQ(full, (size_t)16);
    ASSERT_MEM_EQ(buf, "ping from python", 16);
    ASSERT_EQ(mr_addr_family(&from), AF_INET);
    ASSERT_EQ(mr_sock_send_to(&s, mr_region_make("pong from C", 11), 0, &from), 11);
    ASSERT_EQ(mr_test_wait(pid), 0);
    mr_sock_close(&s);
}

static void test_udp_python_echo(void)
{
    int pp[2];
    ASSERT_OK(pipe2(pp, O_CLOEXEC));
    pid_t pid = spawn_python(udp_echo, NULL, pp[1], -1);
    close(pp[1]);
    unsigned port = read_port(pp[0]);
    close(pp[0]);

    struct mr_sock s = MR_SOCK_INIT;
    struct mr_addr to, from;
    char buf[64];
    ASSERT_OK(mr_addr_loopback(&to, AF_INET, port));
    ASSERT_OK(mr_sock_open(&s, AF_INET, SOCK_DGRAM, 0));
    ASSERT_EQ(mr_sock_send_to(&s, mr_region_make("hello python", 12), 0, &to), 12);
    ASSERT_GT(mr_sock_wait(&s, MR_SOCK_READABLE, 5000), 0);
    ASSERT_EQ(mr_sock_recv_from(&s, MR_REGION_OF_ARRAY(buf), 0, &from, NULL), 12);
    ASSERT_MEM_EQ(buf, "HELLO PYTHON", 12);
    ASSERT_TRUE(mr_addr_equal(&from, &to));
    mr_sock_close(&s);
    ASSERT_EQ(mr_test_wait(pid), 0);
}

static void test_unix_fds_python(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    pid_t pid = spawn_python(unix_fds, NULL, -1, b.fd);
    mr_sock_close(&b);

    int p[2];
    ASSERT_OK(pipe2(p, O_CLOEXEC));
    ASSERT_EQ(write(p[1], "through a pipe", 14), 14);
    int mfd = memfd_create("c-side", MFD_CLOEXEC);
    ASSERT_GE(mfd, 0);
    ASSERT_EQ(write(mfd, "in a memfd", 10), 10);
    int fds[2] = { p[0], mfd };
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("two fds from C", 14), fds, 2, 0), 14);
    close(p[0]);
    close(p[1]);
    close(mfd);

    int got[4];
    size_t n;
    char msg[64];
    ASSERT_GT(mr_sock_wait(&a, MR_SOCK_READABLE, 5000), 0);
    ASSERT_EQ(mr_sock_recv_fds(&a, MR_REGION_OF_ARRAY(msg), got, 4, &n, 0), 19);
    ASSERT_MEM_EQ(msg, "two fds from python", 19);
    ASSERT_EQ(n, (size_t)2);
    ASSERT_EQ(got[2], -1);
    char buf[32] = { 0 };
    ASSERT_TRUE(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
    ASSERT_TRUE(fcntl(got[1], F_GETFD) & FD_CLOEXEC);
    ASSERT_EQ(pread(got[0], buf, sizeof buf, 0), 12);
    ASSERT_MEM_EQ(buf, "python memfd", 12);
    ASSERT_EQ(read(got[1], buf, sizeof buf), 11);
    ASSERT_MEM_EQ(buf, "python pipe", 11);
    close(got[0]);
    close(got[1]);
    ASSERT_EQ(mr_sock_send_all(&a, mr_region_make("ok", 2), 5000, NULL), 2);
    ASSERT_EQ(mr_test_wait(pid), 0);
    mr_sock_close(&a);
}

int main(void)
{
    /* python3 with socket.send_fds (3.9+), or skip. */
    pid_t pid = spawn_python("import socket; socket.send_fds; socket.recv_fds", NULL, -1, -1);
    int st = mr_test_wait(pid);
    if (st != 0)
        mr_test_skip("%s", st == 127 ? "python3 not found (install python3 3.9+)"
                                     : "python3 has no socket.send_fds (install python3 3.9+)");
    MR_TEST_RUN(test_tcp_python_server);
    MR_TEST_RUN(test_tcp_python_client);
    MR_TEST_RUN(test_udp_python_sender);
    MR_TEST_RUN(test_udp_python_echo);
    MR_TEST_RUN(test_unix_fds_python);
    return 0;
}
