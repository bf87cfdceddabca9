/*
 * mdlkit.c -- the `mdlkit` command: entry point and subcommand table.
 * Each subcommand lives in its own file (tools/cmd_<name>.c).
 */
#include "mdlkit_cli.h"

#include <stdio.h>
#include <string.h>

static const mdlkit_cli_command *cli_commands[] = {
    &mdlkit_cmd_demo,
    &mdlkit_cmd_report,
    &mdlkit_cmd_layout,
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
    fprintf(out, "\n`mdlkit <command> --help` describes a command.\n"
                 "\nEnvironment (read by every command that starts the machine):\n"
                 "  MDLKIT_PHYS_MB    simulated RAM in MiB (16..65536, default 1024)\n"
                 "  MDLKIT_OS         emulated Windows: win7, win8, win81, win10, win10-2004, win11, or 0xNTDDI\n"
                 "  MDLKIT_VERIFIER   Driver Verifier flags: hex (0x2000b) or names (special_pool,force_irql,\n"
                 "                    low_resources,pool_tracking,io,ddi,systematic,standard)\n"
                 "  MDLKIT_FAULTS     low-resources simulation: probability/10000[,seed[,tags]]\n"
                 "  MDLKIT_REPORT     write the JSON report to this file (see `mdlkit report`)\n"
                 "  MDLKIT_CPUS       number of simulated processors (1..64)\n"
                 "  MDLKIT_SYSTEMATIC_STATE  file where systematic low-resources simulation remembers call sites\n"
                 "  MDLKIT_SPECIAL_POOL_TAG, MDLKIT_SPECIAL_POOL_SIZE  special pool for one tag (Tag1) or one size only\n"
                 "\nDocumentation: README.md and docs/ in the source tree.\n");
}

int main(int argc, char **argv)
{
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
