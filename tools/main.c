/* SPDX-License-Identifier: MIT */
/* tools/main.c: the memregion program: `memregion <command> [options]`.
 * Each command lives in its own cmd_<name>.c; this file only dispatches. */
#include "cli.h"

#include <string.h>

static const struct cli_cmd commands[] = {
    { "demo", "show every layer working together on real OS objects (make run)", cmd_demo },
    { "shm", "manage POSIX shared-memory objects: ls, create, stat, rm, cat, write, ...", cmd_shm },
    { "dump", "hex or typed view of a file or shm object, or decode it with a layout", cmd_dump },
    { "peek", "read one typed value at an offset of a file or shm object", cmd_peek },
    { "poke", "write one typed value at an offset of a file or shm object", cmd_poke },
    { "share", "hand a file or shm object to another process over a Unix socket", cmd_share },
    { "attach", "receive an object handed over by 'memregion share' and show it", cmd_attach },
    { "pipe", "a shared-memory channel in place of a shell pipe: send NAME, recv NAME", cmd_pipe },
    { "serve", "offer a service NAME and carry stdin and stdout over it, as socat does", cmd_serve },
    { "connect", "connect to the service NAME and carry stdin and stdout over it", cmd_connect },
    { "services", "list the services this user can see, with each server's pid and uid", cmd_services },
    { "pub", "publish stdin on a topic NAME, line by line, to any number of 'sub NAME'", cmd_pub },
    { "sub", "subscribe to the topic NAME and write every message to stdout", cmd_sub },
    { "net", "serve a file or shm object to other hosts, and get or put its bytes", cmd_net },
    { "bench", "run every layer's benchmarks: ratios to this machine's own baselines", cmd_bench },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out,
            "usage: memregion <command> [options]\n"
            "       memregion <command> --help\n"
            "       memregion --version\n"
            "\n"
            "memregion works with raw memory: shared-memory objects, files seen as\n"
            "typed structures, and passing memory between processes.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Commands that print data take --json. Exit status: 0 done, 1 failed,\n"
            "2 wrong usage. Errors go to stderr as\n"
            "  memregion: <command>: <object>: <reason>\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("memregion %s\n", mr_version());
        return CLI_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return CLI_OK;
        }
        /* "memregion help shm" is "memregion shm --help". */
        for (size_t i = 0; i < NCOMMANDS; i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                char *args[] = { argv[2], (char *)"--help", NULL };
                cli_set_command(commands[i].name);
                return commands[i].run(2, args);
            }
        }
        fprintf(stderr, "memregion: unknown command '%s'\n\n", argv[2]);
        usage(stderr);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            cli_set_command(commands[i].name);
            int rc = commands[i].run(argc - 1, argv + 1);
            if (fflush(stdout) != 0 && rc == CLI_OK)
                rc = cli_fail("stdout", -errno, NULL);
            return rc;
        }
    }
    if (name[0] == '-')
        fprintf(stderr, "memregion: unknown option '%s'\n\n", name);
    else
        fprintf(stderr, "memregion: unknown command '%s'\n\n", name);
    usage(stderr);
    return CLI_USAGE;
}
