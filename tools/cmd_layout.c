/* cmd_layout.c -- `mdlkit layout`: start the machine, print its
 * configuration and memory layout, stop it (a self-check). */
#include "mdlkit_cli.h"

#include <stdio.h>
#include <string.h>

int mdlkit_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

static int layout_run(int argc, char **argv)
{
    if (mdlkit_cli_wants_help(argc, argv)) {
        printf("usage: mdlkit layout\n\n"
               "Starts the simulated machine with the configuration from the MDLKIT_* environment\n"
               "variables, prints the configuration and the memory layout (regions, address-space\n"
               "bounds, mapping budget, free frames), and shuts it down. Exit status 0 if the\n"
               "machine started.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "mdlkit layout: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    if (mdlkit_init(NULL) != 0)
        return 1;
    mdlkit_print_layout(stdout);
    mdlkit_shutdown();
    return 0;
}

const mdlkit_cli_command mdlkit_cmd_layout = {"layout", "start the machine and print its configuration and memory layout",
                                              layout_run};
