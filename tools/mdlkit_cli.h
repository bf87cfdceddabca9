/* mdlkit_cli.h -- the subcommand interface of the `mdlkit` command. */
#ifndef MDLKIT_CLI_H
#define MDLKIT_CLI_H

#include <mdlkit.h>
#include <stdio.h>

typedef struct mdlkit_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} mdlkit_cli_command;

extern const mdlkit_cli_command mdlkit_cmd_layout;  /* cmd_layout.c */
extern const mdlkit_cli_command mdlkit_cmd_demo;    /* cmd_demo.c */
extern const mdlkit_cli_command mdlkit_cmd_report;  /* cmd_report.c */
extern const mdlkit_cli_command mdlkit_cmd_options; /* cmd_options.c */

/* true if argv has --help or -h */
int mdlkit_cli_wants_help(int argc, char **argv);

/* Pool-table orders (cmd_report.c). */
#define MDLKIT_CLI_SORT_TAG 0
#define MDLKIT_CLI_SORT_NONPAGED 1
#define MDLKIT_CLI_SORT_PAGED 2
#define MDLKIT_CLI_SORT_ALLOCS 3
#define MDLKIT_CLI_SORT_BYTES 4
/* "tag", "nonpaged", ... -> MDLKIT_CLI_SORT_*, or -1. */
int mdlkit_cli_parse_sort(const char *name);

/* Renders a parsed report (json.h) as tables. 0 ok, -1 not a report. */
struct cli_json;
int mdlkit_cli_render_report(FILE *out, const struct cli_json *root, int sort, int with_config);

#endif
