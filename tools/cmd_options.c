/*
 * cmd_options.c -- `mdlkit options [--markdown]`: the options table
 * (src/rt/options.c) as `mdlkit --help` shows it, or as README.md's
 * table (tests/script_options.sh compares the two).
 */
#include "mdlkit_cli.h"
#include "mk_options.h"

#include <string.h>

static int options_run(int argc, char **argv)
{
    int markdown = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: mdlkit options [--markdown]\n\n"
                   "Lists every MDLKIT_* environment variable: what it sets, its values and default.\n"
                   "--markdown prints the table README.md carries.\n");
            return 0;
        }
        if (!strcmp(argv[i], "--markdown")) {
            markdown = 1;
            continue;
        }
        fprintf(stderr, "mdlkit options: unknown argument '%s'\n", argv[i]);
        return 2;
    }
    mk_options_print(stdout, markdown);
    return 0;
}

const mdlkit_cli_command mdlkit_cmd_options = {"options", "list the MDLKIT_* environment variables", options_run};
