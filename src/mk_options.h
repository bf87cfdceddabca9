/*
 * mk_options.h -- the options table (src/rt/options.c): every setting a
 * user can give mdlkit, with its environment variable, the mdlkit_config
 * field it sets, its parser, its default and its help text. From this one
 * table come mdlkit_config_default, `mdlkit --help` (tools/mdlkit.c) and
 * the options section of README.md (`mdlkit options --markdown`; checked
 * by tests/script_options.sh).
 */
#ifndef MK_OPTIONS_H
#define MK_OPTIONS_H

#include <mdlkit.h>
#include <stdio.h>

typedef struct mk_option {
    const char *name;  /* what it is, a few words ("simulated RAM") */
    const char *env;   /* environment variable */
    const char *field; /* mdlkit_config field(s) it sets; NULL: read where it is used */
    const char *value; /* what a value looks like (also the message for a bad one) */
    const char *deflt; /* the default, in the variable's own syntax; NULL: none */
    const char *help;  /* what it does, one sentence */
    /* Applies `text` to cfg: 0, or -1 for a bad value (cfg untouched).
     * NULL for a variable read where it is used (its help says where). */
    int (*parse)(const char *text, mdlkit_config *cfg);
} mk_option;

extern const mk_option mk_options[];
extern const size_t mk_options_count;

/* The environment error of the last mdlkit_config_default: 1 when a
 * MDLKIT_* value was bad (mdlkit_init then refuses to start). */
int mk_options_env_error(void);

/* The table as text: `markdown` 0 for the --help layout (two columns,
 * wrapped), 1 for README.md's table. */
void mk_options_print(FILE *out, int markdown);

/* Name of the newest Windows version not above `ntddi` ("win10", ...). */
const char *mk_os_label(ULONG ntddi);

#endif /* MK_OPTIONS_H */
