/* SPDX-License-Identifier: MIT */
/* tools/cli.h: what the subcommands of the memregion program share.
 *
 * Exit status everywhere: CLI_OK (0) done, CLI_FAIL (1) the operation failed,
 * CLI_USAGE (2) the command line was wrong. Errors go to stderr as
 *   memregion: <command>: <object>: <reason>
 * and usage errors as "memregion: <command>: <what is wrong>" followed by a
 * hint to run --help. Help goes to stdout and exits 0.
 */
#ifndef MEMREGION_TOOLS_CLI_H
#define MEMREGION_TOOLS_CLI_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <memregion.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/* A subcommand: name, one line for the command list, and its entry point,
 * called with argv[0] being the command's own name. */
struct cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

/* The subcommands, defined in their cmd_*.c files. */
int cmd_demo(int argc, char **argv);
int cmd_shm(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_peek(int argc, char **argv);
int cmd_poke(int argc, char **argv);
int cmd_share(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_pipe(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_services(int argc, char **argv);
int cmd_pub(int argc, char **argv);
int cmd_sub(int argc, char **argv);
int cmd_net(int argc, char **argv);

/* ---- naming the command for messages --------------------------------------- */

/* Set the command path used in messages ("shm create"); the text is copied. */
void cli_set_command(const char *path);
const char *cli_command(void);

/* "memregion: <command>: <object>: <reason>" on stderr; reason is
 * mr_strerror(code) when fmt is NULL, else the formatted text. Returns
 * CLI_FAIL so that a command can `return cli_fail(...)`. */
int cli_fail(const char *object, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "memregion: <command>: <text>" and a --help hint on stderr; returns
 * CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- options ---------------------------------------------------------------- */

/* getopt_long over argv for one command, with -h/--help added: calls
 * on_opt(c, optarg, ctx) for each option (return 0 to go on, or an exit
 * status to stop), prints help (stdout) when asked, and refuses unknown
 * options and missing arguments. Returns -1 when done, with *first_arg the
 * index of the first operand, or an exit status (CLI_OK after --help,
 * CLI_USAGE, or what on_opt returned). shortopts must not include 'h'. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *help, int (*on_opt)(int c, const char *arg, void *ctx), void *ctx,
               int *first_arg);

/* The one operand of a command whose operands start at argv[first]: -1
 * and *out set; or CLI_USAGE after "missing <missing>" (none) or
 * "unexpected argument" (more than one). */
int cli_one_operand(int argc, char **argv, int first, const char *missing, const char **out);

/* Print help text to stdout; returns CLI_OK. */
int cli_help(const char *help);

/* Run the subcommand argv[1] of the command group (argv[0], "shm"), named
 * "<group> <sub>" in messages, with argv shifted by one; -h/--help prints
 * help; a missing one is a usage error saying `missing`, an unknown one
 * names it. Returns what the subcommand returned, or CLI_OK / CLI_USAGE. */
int cli_dispatch(const char *group, const struct cli_cmd *subs, size_t n, const char *help,
                 const char *missing, int argc, char **argv);

/* ---- numbers ---------------------------------------------------------------- */

/* Parse an unsigned number: decimal or 0x hex (a leading 0 is still
 * decimal), with an optional binary suffix K, M, G, T (also KiB, MiB,
 * ...; case-insensitive) when suffixes is true. 0, or -EINVAL (malformed)
 * or -ERANGE (overflows 64 bits). */
int cli_parse_u64(const char *s, bool suffixes, uint64_t *out);

/* Parse a signed decimal or 0x hex integer (a leading '-' allowed). */
int cli_parse_i64(const char *s, int64_t *out);

/* Parse a floating-point number (strtod syntax, nan and inf too). */
int cli_parse_f64(const char *s, double *out);

/* Parse permission bits in octal ("644", "0600"): 0 or -EINVAL. */
int cli_parse_mode(const char *s, mode_t *out);

/* A parsed option value, with its own usage error on failure: returns 0 or
 * CLI_USAGE after printing "invalid <what> '<s>': <why>". */
int cli_opt_u64(const char *what, const char *s, bool suffixes, uint64_t *out);

/* --capacity BYTES of a channel (a power of two, MR_CHAN_CAPACITY_MIN..MAX,
 * K/M/G suffixes) and --timeout SECONDS (whole seconds, up to a year; 0 is
 * forever): 0, or CLI_USAGE after saying what is wrong. */
int cli_opt_capacity(const char *s, uint64_t *out);
int cli_opt_timeout(const char *s, uint64_t *out);

/* --timeout's seconds as a library timeout: MR_FOREVER for 0, capped at
 * INT32_MAX ms. */
int cli_timeout_ms(uint64_t seconds);
/* Write all n bytes to fd (retrying EINTR, waiting when it is non-blocking
 * and full): 0 or -errno (-EPIPE: its reader quit, with SIGPIPE ignored). */
int cli_write_all(int fd, const void *p, size_t n);
/* CLOCK_MONOTONIC in ms; the ms left until end (INT64_MAX: MR_FOREVER), as
 * a library timeout (0 once past). */
int64_t cli_now_ms(void);
int cli_left_ms(int64_t end);

/* Is name a channel or service NAME: 1 to 64 of [A-Za-z0-9._-], not
 * starting with '.' ('@' first allowed when abstract is true)? */
bool cli_name_ok(const char *name, bool abstract);

/* The one operand of a command, a service NAME ('@' allowed), as
 * cli_one_operand: -1 and *out set, or CLI_USAGE after saying what is
 * wrong with it. */
int cli_name_operand(int argc, char **argv, int first, const char *missing, const char **out);
/* A service NAME given as an argument: -1 when it is one, or CLI_USAGE
 * after saying what is wrong with it. */
int cli_name_arg(const char *n);

/* Until cli_stop_signals(NULL): SIGINT, SIGTERM and SIGHUP call undo (which
 * must be async-signal-safe: it removes a socket file, restores fd flags)
 * and then end the process by the signal as they would have. */
void cli_stop_signals(void (*undo)(void));

/* Offer the service name with opts, accept one client within timeout_s
 * seconds (0: forever) into *out (closed: MR_SVC_CONN_INIT), and stop
 * offering: the name is free again as soon as a client is connected. While
 * it waits, SIGINT, SIGTERM and SIGHUP remove the service's socket file
 * before they end the process. 0; or the error of mr_svc_offer
 * (-EADDRINUSE: another server offers name) or mr_svc_accept (-ETIMEDOUT),
 * with *out closed and nothing said: the caller words the message. */
int cli_svc_accept_one(const char *name, const struct mr_svc_opts *opts, uint64_t timeout_s,
                       struct mr_svc_conn *out);

/* A progress line on stderr, drawn when stderr is a terminal and quiet is
 * false: bytes done, rate, and with a known total (not CLI_SIZE_UNKNOWN) a
 * bar and the time left. cli_progress_show redraws at most five times a
 * second, and always when final (which ends the line). */
#define CLI_SIZE_UNKNOWN UINT64_MAX
struct cli_progress {
    bool on;
    uint64_t total;
    int64_t start, last;
};
void cli_progress_init(struct cli_progress *p, bool quiet, uint64_t total);
void cli_progress_show(struct cli_progress *p, uint64_t done, bool final);

/* Human-readable byte count ("1.5 MiB"), into buf. */
const char *cli_human_bytes(uint64_t n, char *buf, size_t size);

/* ---- targets: a file or shm:/name, mapped ----------------------------------- */

struct cli_target {
    struct mr_shm shm;  /* open when the target is a shared-memory object */
    struct mr_map map;  /* the whole object or file */
    bool is_shm;
    const char *spec;   /* as the user wrote it, for messages */
};

/* Open and map spec ("shm:/name", "shm:name", or a file path), read-only or
 * read-write. 0 or -errno (the caller reports it naming spec). */
int cli_target_open(struct cli_target *t, const char *spec, bool writable);
void cli_target_close(struct cli_target *t);

/* Accept "name" or "/name" (and "shm:" in front): the canonical "/name"
 * into buf. 0, or -EINVAL / -ENAMETOOLONG. */
int cli_shm_name(const char *in, char *buf, size_t size);

/* cli_shm_name for a name given on the command line: 0, or it reports
 * "<in>: invalid name: <reason>" and returns the exit status of a failure. */
int cli_shm_name_arg(const char *in, char *buf, size_t size);

/* ---- JSON ---------------------------------------------------------------------
 * A tiny writer: containers nest up to 16 deep, commas come by themselves,
 * strings are escaped (control bytes as \u00XX, bytes >= 0x80 as Latin-1
 * \u00XX, so the output is ASCII and always valid JSON). */
struct cli_json {
    FILE *out;
    int depth;
    bool need_comma[16];
    bool after_key;
};

void cli_json_init(struct cli_json *j, FILE *out);
void cli_json_begin_object(struct cli_json *j);
void cli_json_end_object(struct cli_json *j);
void cli_json_begin_array(struct cli_json *j);
void cli_json_end_array(struct cli_json *j);
void cli_json_key(struct cli_json *j, const char *key);
void cli_json_str(struct cli_json *j, const char *s);
void cli_json_strn(struct cli_json *j, const char *s, size_t n);
void cli_json_u64(struct cli_json *j, uint64_t v);
void cli_json_i64(struct cli_json *j, int64_t v);
void cli_json_f64(struct cli_json *j, double v);
void cli_json_bool(struct cli_json *j, bool v);
void cli_json_null(struct cli_json *j);
/* Start a value and write text as it is (the caller keeps it valid JSON). */
void cli_json_raw(struct cli_json *j, const char *text);
/* End the document with a newline. */
void cli_json_end(struct cli_json *j);

/* ---- values (cli.c) ----------------------------------------------------------
 * Element types are parsed and named by mr_type_parse and mr_type_format,
 * values written by mr_value_format (memregion/type.h, memregion/value.h). */

/* The value as JSON (a number, or null for NaN and infinities; an f32 as
 * the double it widens to, as cli_json_f64 writes it). */
void cli_json_value(struct cli_json *j, enum mr_type t, union mr_value v);

/* Read n bytes at off of the target through the SIGBUS guard into dst; the
 * error is reported (naming the target) and CLI_FAIL returned, or 0. */
int cli_target_read(const struct cli_target *t, uint64_t off, void *dst, size_t n);

/* Parse a layout spec argument (or @FILE) with mr_layout_parse. 0 and *out
 * set; or CLI_USAGE after showing the spec with a caret under the error, or
 * CLI_FAIL (a file that cannot be read, out of memory). (cmd_dump.c) */
int cli_layout_from_arg(const char *arg, struct mr_layout **out);

#endif
