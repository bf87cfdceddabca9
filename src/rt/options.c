/*
 * options.c -- the options table (mk_options.h): every MDLKIT_* setting,
 * its parser and its default, and what is produced from it:
 * mdlkit_config_default, the --help text of the `mdlkit` command and the
 * options table of README.md (tests/script_options.sh checks that README.md
 * says what this table says).
 */
#include "mk_base.h"
#include "mk_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define OPT_MIN_PHYS_MB 16UL
#define OPT_MAX_PHYS_MB 65536UL

/* Strings an environment variable gave (the config points into these). */
static char opt_report_path[4096];
static char opt_fault_tags[1024];
static char opt_systematic_path[4096];
static int opt_env_error;

/* ---- emulated OS names ---- */
static const struct {
    const char *name;
    ULONG ntddi;
} opt_os_names[] = {
    {"win2k", NTDDI_WIN2K}, {"xp", NTDDI_WINXP},       {"winxp", NTDDI_WINXP}, {"ws03", NTDDI_WS03},
    {"vista", NTDDI_VISTA}, {"win7", NTDDI_WIN7},      {"win8", NTDDI_WIN8},   {"win81", NTDDI_WINBLUE},
    {"win10", NTDDI_WIN10}, {"win10-2004", NTDDI_WIN10_VB}, {"win11", NTDDI_WIN11_GE},
};

int mdlkit_parse_os(const char *text, ULONG *ntddi)
{
    if (!text || !*text)
        return -1;
    for (size_t i = 0; i < MK_ARRAY_SIZE(opt_os_names); i++)
        if (strcasecmp(text, opt_os_names[i].name) == 0) {
            *ntddi = opt_os_names[i].ntddi;
            return 0;
        }
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 0);
    if (errno || *end || v < NTDDI_WIN2K || v > 0x0AFFFFFFUL)
        return -1;
    *ntddi = (ULONG)v;
    return 0;
}

const char *mk_os_label(ULONG os)
{
    const char *best = "older than Windows 2000";
    for (size_t i = 0; i < MK_ARRAY_SIZE(opt_os_names); i++)
        if (os >= opt_os_names[i].ntddi)
            best = opt_os_names[i].name;
    return best;
}

static const struct {
    const char *name;
    ULONG flag;
} opt_verifier_names[] = {
    {"special_pool", MDLKIT_VERIFY_SPECIAL_POOL},
    {"force_irql", MDLKIT_VERIFY_FORCE_IRQL_CHECKING},
    {"force_irql_checking", MDLKIT_VERIFY_FORCE_IRQL_CHECKING},
    {"low_resources", MDLKIT_VERIFY_LOW_RESOURCES},
    {"faults", MDLKIT_VERIFY_LOW_RESOURCES},
    {"pool_tracking", MDLKIT_VERIFY_POOL_TRACKING},
    {"io", MDLKIT_VERIFY_IO_CHECKING},
    {"io_verification", MDLKIT_VERIFY_IO_CHECKING},
    {"ddi", MDLKIT_VERIFY_DDI_COMPLIANCE},
    {"ddi_compliance", MDLKIT_VERIFY_DDI_COMPLIANCE},
    {"systematic", MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES},
    {"systematic_low_resources", MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES},
    {"security", MDLKIT_VERIFY_SECURITY_CHECKS},
    {"security_checks", MDLKIT_VERIFY_SECURITY_CHECKS},
    {"misc", MDLKIT_VERIFY_MISC_CHECKS},
    {"miscellaneous_checks", MDLKIT_VERIFY_MISC_CHECKS},
    {"code_integrity", MDLKIT_VERIFY_CODE_INTEGRITY},
    {"standard", MDLKIT_VERIFY_STANDARD},
    {"none", 0},
};

static int opt_ulong(const char *text, ULONG max, ULONG *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 0);
    if (errno || !*text || *end || v > max)
        return -1;
    *out = (ULONG)v;
    return 0;
}

/* ---- the parsers ---- */

static int opt_phys_mb(const char *v, mdlkit_config *cfg)
{
    ULONG mb;
    if (opt_ulong(v, OPT_MAX_PHYS_MB, &mb) || mb < OPT_MIN_PHYS_MB)
        return -1;
    cfg->physical_memory = (size_t)mb << 20;
    return 0;
}

static int opt_os(const char *v, mdlkit_config *cfg) { return mdlkit_parse_os(v, &cfg->os_version); }

/* "0x9", "9", or "special_pool,pool_tracking". */
static int opt_verifier(const char *text, mdlkit_config *cfg)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 16);
    if (!errno && *text && !*end) {
        cfg->verifier_flags = (ULONG)v;
        return 0;
    }
    ULONG acc = 0;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",|+ ");
        int found = 0;
        for (size_t i = 0; i < MK_ARRAY_SIZE(opt_verifier_names); i++)
            if (strlen(opt_verifier_names[i].name) == n && strncasecmp(p, opt_verifier_names[i].name, n) == 0) {
                acc |= opt_verifier_names[i].flag;
                found = 1;
            }
        if (!found && n)
            return -1;
        p += n;
        while (*p && strchr(",|+ ", *p))
            p++;
    }
    cfg->verifier_flags = acc;
    return 0;
}

/* off | warn | fatal */
static int opt_lint(const char *v, mdlkit_config *cfg)
{
    if (strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
        cfg->lint = MDLKIT_LINT_OFF;
    else if (strcasecmp(v, "warn") == 0 || strcmp(v, "1") == 0)
        cfg->lint = MDLKIT_LINT_WARN;
    else if (strcasecmp(v, "fatal") == 0 || strcmp(v, "2") == 0)
        cfg->lint = MDLKIT_LINT_FATAL;
    else
        return -1;
    return 0;
}

/* probability[,seed[,tags]] */
static int opt_faults(const char *v, mdlkit_config *cfg)
{
    char buf[1200];
    snprintf(buf, sizeof buf, "%s", v);
    char *seed = strchr(buf, ',');
    char *tags = NULL;
    if (seed) {
        *seed++ = 0;
        tags = strchr(seed, ',');
        if (tags)
            *tags++ = 0;
    }
    ULONG prob, s = cfg->fault_seed;
    if (opt_ulong(buf, 10000, &prob) || (seed && opt_ulong(seed, 0xFFFFFFFFUL, &s)))
        return -1;
    cfg->fault_probability = prob;
    cfg->fault_seed = s;
    if (tags && *tags) {
        snprintf(opt_fault_tags, sizeof opt_fault_tags, "%s", tags);
        cfg->fault_tags = opt_fault_tags;
    }
    return 0;
}

static int opt_report(const char *v, mdlkit_config *cfg)
{
    snprintf(opt_report_path, sizeof opt_report_path, "%s", v);
    cfg->report_path = opt_report_path;
    return 0;
}

static int opt_systematic_state(const char *v, mdlkit_config *cfg)
{
    snprintf(opt_systematic_path, sizeof opt_systematic_path, "%s", v);
    cfg->systematic_state = opt_systematic_path;
    return 0;
}

/* "Tag1" as poolmon prints it (memory order), or a number */
static int opt_special_pool_tag(const char *v, mdlkit_config *cfg)
{
    size_t n = strlen(v);
    ULONG t = 0;
    if (n <= 4 && !(n > 1 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))) {
        for (size_t i = 0; i < n; i++)
            t |= (ULONG)(unsigned char)v[i] << (8 * i);
    } else if (opt_ulong(v, 0xFFFFFFFFUL, &t) || !t) {
        return -1;
    }
    cfg->special_pool_tag = t;
    return 0;
}

static int opt_special_pool_size(const char *v, mdlkit_config *cfg)
{
    ULONG sz;
    if (opt_ulong(v, PAGE_SIZE - 1, &sz) || sz == 0)
        return -1;
    cfg->special_pool_size = sz;
    return 0;
}

static int opt_cpus(const char *v, mdlkit_config *cfg)
{
    ULONG c;
    if (strcasecmp(v, "all") == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c = n < 1 ? 1 : n > 64 ? 64 : (ULONG)n;
    } else if (opt_ulong(v, 64, &c) || c == 0) {
        return -1;
    }
    cfg->processors = c;
    return 0;
}

/* ---- the table ---- */
const mk_option mk_options[] = {
    {"simulated RAM", "MDLKIT_PHYS_MB", "physical_memory", "megabytes, 16 to 65536", "1024",
     "simulated RAM in MiB (pages cost nothing until touched)", opt_phys_mb},
    {"emulated Windows", "MDLKIT_OS", "os_version",
     "win7, win8, win81, win10, win10-2004, win11, vista, xp, or an NTDDI value like 0x06010000", "win11",
     "the emulated Windows version", opt_os},
    {"verifier options", "MDLKIT_VERIFIER", "verifier_flags",
     "hex flags like 0x9, or names: special_pool, force_irql, low_resources, pool_tracking, io, security, misc, "
     "ddi, systematic, code_integrity, standard",
     "0", "Driver Verifier flags (names joined by ',')", opt_verifier},
    {"low-resources simulation", "MDLKIT_FAULTS", "fault_probability, fault_seed, fault_tags", "probability per 10000[,seed[,tags]]", "600,1",
     "low-resources simulation (0x4): how often, the seed, the tags it fails (e.g. 600,1,Tag1)", opt_faults},
    {"JSON report", "MDLKIT_REPORT", "report_path", "a file name", NULL,
     "write the JSON report (docs/report-format.md) to this file at shutdown or bug check; render it with "
     "`mdlkit report FILE`",
     opt_report},
    {"processors", "MDLKIT_CPUS", "processors", "1 to 64, or all", "all", "simulated processors (all: the host's, at most 64)",
     opt_cpus},
    {"systematic simulation state", "MDLKIT_SYSTEMATIC_STATE", "systematic_state", "a file name", NULL,
     "file where systematic low-resources simulation (0x40000) remembers the call sites it already failed",
     opt_systematic_state},
    {"special pool tag", "MDLKIT_SPECIAL_POOL_TAG", "special_pool_tag", "a pool tag as printed (Tag1) or a number", NULL,
     "special pool (0x1) for this tag only, as gflags does", opt_special_pool_tag},
    {"special pool size", "MDLKIT_SPECIAL_POOL_SIZE", "special_pool_size", "an allocation size in bytes, 1 to 4095", NULL,
     "special pool (0x1) for allocations of exactly this size only (with a tag too: either matches)",
     opt_special_pool_size},
    {"lint", "MDLKIT_LINT", "lint", "off, warn or fatal", "off",
     "mdlkit's own advisories no Windows option makes, which may flag working code (docs/verifier.md \"Lint\"): "
     "warn prints and counts them, fatal makes each a bug check 0xC4 with its MDLKIT_RULE_LINT_* ID",
     opt_lint},
    {"debug print filter", "MDLKIT_DBGPRINT", NULL, "all, none, a mask, or COMPONENT=MASK pairs joined by ','", NULL,
     "which DbgPrintEx/KdPrintEx messages print (read by DbgPrintEx once per mdlkit_init; a bad value is "
     "ignored with a message)",
     NULL},
    {"fuzzing faults", "MDLKIT_FUZZ_FAULTS", NULL, "0 or 1", NULL,
     "fuzz targets on mdlkit's fuzzing runtime (mdlkit_fuzz_start) take the input's first byte n as the n-th "
     "call to fail (0: none); overrides the target's own choice (read by mdlkit_fuzz_start)",
     NULL},
    {"fuzzing redzones", "MDLKIT_FUZZ_ASAN", NULL, "0 to turn them off", NULL,
     "under AddressSanitizer the fuzzing runtime puts redzones around pool blocks and poisons freed blocks and the "
     "unused bytes of MDL mappings; 0 turns that off (read by mdlkit_fuzz_start)",
     NULL},
    {"breakpoints", "MDLKIT_BREAK", NULL, "bugcheck", NULL,
     "DbgBreakPoint/KdBreakPoint raise the breakpoint exception as with no kernel debugger, instead of printing "
     "the break and continuing (read at each break)",
     NULL},
};
const size_t mk_options_count = MK_ARRAY_SIZE(mk_options);

int mk_options_env_error(void) { return opt_env_error; }

void mdlkit_config_default(mdlkit_config *cfg)
{
    if (!cfg) {
        mk_harness_bad_argument("mdlkit_config_default", "cfg is NULL (pass the address of an mdlkit_config)");
        return;
    }
    memset(cfg, 0, sizeof *cfg);
    opt_env_error = 0;
    for (size_t i = 0; i < mk_options_count; i++) {
        const mk_option *o = &mk_options[i];
        if (o->parse && o->deflt && o->parse(o->deflt, cfg) != 0)
            abort(); /* the table's own default must parse */
    }
    for (size_t i = 0; i < mk_options_count; i++) {
        const mk_option *o = &mk_options[i];
        const char *v = o->parse ? getenv(o->env) : NULL;
        if (v && *v && o->parse(v, cfg) != 0) {
            fprintf(stderr, "mdlkit: %s=\"%s\" is not valid (%s)\n", o->env, v, o->value);
            opt_env_error = 1;
        }
    }
}

/* ---- the table as text ---- */

static void opt_wrap(FILE *out, const char *text, int indent, int width)
{
    int col = indent;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (col > indent && col + 1 + (int)n > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, n, out);
        col += (int)n;
        p += n;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

void mk_options_print(FILE *out, int markdown)
{
    if (markdown) {
        fprintf(out, "| Option | Variable | `mdlkit_config` field | Value | Default | Meaning |\n"
                     "|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < mk_options_count; i++) {
            const mk_option *o = &mk_options[i];
            fprintf(out, "| %s | `%s` | %s%s%s | %s | %s%s%s | %s |\n", o->name, o->env, o->field ? "`" : "",
                    o->field ? o->field : "(none)", o->field ? "`" : "", o->value, o->deflt ? "`" : "",
                    o->deflt ? o->deflt : "(none)", o->deflt ? "`" : "", o->help);
        }
        return;
    }
    for (size_t i = 0; i < mk_options_count; i++) {
        const mk_option *o = &mk_options[i];
        char line[1024];
        fprintf(out, "  %-26s %s\n", o->env, o->name);
        snprintf(line, sizeof line, "%s. Value: %s%s%s.", o->help, o->value, o->deflt ? "; default " : "",
                 o->deflt ? o->deflt : "");
        fprintf(out, "      ");
        opt_wrap(out, line, 6, 100);
    }
}
