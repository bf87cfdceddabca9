/*
 * mdlkit.c -- the `mdlkit` command: entry point and subcommand table.
 * Each subcommand lives in its own file (tools/cmd_<name>.c).
 */
#include "mdlkit_cli.h"
#include "mk_options.h"

#include <stdio.h>
#include <string.h>

static const mdlkit_cli_command *cli_commands[] = {
    &mdlkit_cmd_demo,
    &mdlkit_cmd_report,
    &mdlkit_cmd_layout,
    &mdlkit_cmd_options,
#ifdef MDLKIT_CLI_EXTRA_COMMANDS
    MDLKIT_CLI_EXTRA_COMMANDS
#endif
};

static void cli_usage(FILE *out)
{
    fprintf(out, "usage: mdlkit <command> [options]\n\n"
                 "Windows kernel MDL and pool DDIs on a simulated machine, with a Driver Verifier-style checker.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++)
        fprintf(out, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
    fprintf(out, "\n`mdlkit <command> --help` describes a command; `mdlkit --version` prints the version.\n"
                 "\nEnvironment (read by every command that starts the machine):\n");
    mk_options_print(out, 0);
    fprintf(out, "\nDocumentation: README.md and docs/ in the source tree.\n");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("mdlkit %s\n", MDLKIT_VERSION_STRING);
        return 0;
    }
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        cli_usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++)
        if (!strcmp(argv[1], cli_commands[i]->name))
            return cli_commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "mdlkit: unknown command '%s'\n\n", argv[1]);
    cli_usage(stderr);
    return 2;
}
