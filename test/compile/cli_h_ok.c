/* SPDX-License-Identifier: MIT */
/* Must compile: tools/cli.h on its own, each declaration once
 * (-Wredundant-decls), whether or not the includer defined _GNU_SOURCE
 * first (compile_cli_h_ok and compile_cli_h_ok_gnu). One use from each
 * part of the header, so that a part the preprocessor dropped is an error. */
#include "cli.h"

int main(void)
{
    int (*layout)(const char *, struct mr_layout **) = cli_layout_from_arg;
    int (*read)(const struct cli_target *, uint64_t, void *, size_t) = cli_target_read;
    struct cli_json j;
    uint64_t u;
    cli_json_init(&j, stdout);
    (void)layout;
    (void)read;
    return cli_parse_u64("1", false, &u) + cli_help("");
}
