/*
 * runtime.c -- mdlkit_config_default, mdlkit_init, mdlkit_shutdown: the
 * options table (environment variables), the emulated OS version, and the
 * order in which the layers start and stop.
 */
#include "mk_base.h"
#include "mk_machine.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

mk_runtime mk_rt;
static mdlkit_config rt_cfg_storage;
static char rt_report_path[4096];
static char rt_fault_tags[1024];
static char rt_systematic_path[4096];
static int rt_config_error; /* set by mdlkit_config_default on a bad env value */

#define RT_DEFAULT_PHYS ((size_t)1 << 30)
#define RT_MIN_PHYS ((size_t)16 << 20)
#define RT_MAX_PHYS ((size_t)64 << 30)

/* ---- emulated OS names ---- */
static const struct {
    const char *name;
    ULONG ntddi;
} rt_os_names[] = {
    {"win2k", NTDDI_WIN2K}, {"xp", NTDDI_WINXP},       {"winxp", NTDDI_WINXP}, {"ws03", NTDDI_WS03},
    {"vista", NTDDI_VISTA}, {"win7", NTDDI_WIN7},      {"win8", NTDDI_WIN8},   {"win81", NTDDI_WINBLUE},
    {"win10", NTDDI_WIN10}, {"win10-2004", NTDDI_WIN10_VB}, {"win11", NTDDI_WIN11_GE},
};

int mdlkit_parse_os(const char *text, ULONG *ntddi)
{
    if (!text || !*text)
        return -1;
    for (size_t i = 0; i < MK_ARRAY_SIZE(rt_os_names); i++)
        if (strcasecmp(text, rt_os_names[i].name) == 0) {
            *ntddi = rt_os_names[i].ntddi;
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

static const struct {
    const char *name;
    ULONG flag;
} rt_verifier_names[] = {
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
    {"standard", MDLKIT_VERIFY_STANDARD},
    {"none", 0},
};

/* Parses "0x9", "9", or "special_pool,pool_tracking". */
static int rt_parse_verifier(const char *text, ULONG *flags)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 16);
    if (!errno && *text && !*end) {
        *flags = (ULONG)v;
        return 0;
    }
    ULONG acc = 0;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",|+ ");
        int found = 0;
        for (size_t i = 0; i < MK_ARRAY_SIZE(rt_verifier_names); i++)
            if (strlen(rt_verifier_names[i].name) == n && strncasecmp(p, rt_verifier_names[i].name, n) == 0) {
                acc |= rt_verifier_names[i].flag;
                found = 1;
            }
        if (!found && n)
            return -1;
        p += n;
        while (*p && strchr(",|+ ", *p))
            p++;
    }
    *flags = acc;
    return 0;
}

static int rt_parse_ulong(const char *text, ULONG max, ULONG *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 0);
    if (errno || !*text || *end || v > max)
        return -1;
    *out = (ULONG)v;
    return 0;
}

static void rt_bad_env(const char *var, const char *value, const char *expect)
{
    fprintf(stderr, "mdlkit: %s=\"%s\" is not valid (%s)\n", var, value, expect);
    rt_config_error = 1;
}

void mdlkit_config_default(mdlkit_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->physical_memory = RT_DEFAULT_PHYS;
    cfg->os_version = NTDDI_WIN11_GE;
    cfg->verifier_flags = 0;
    cfg->fault_probability = 600; /* Driver Verifier's default, 6% */
    cfg->fault_seed = 1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->processors = n > 0 ? (ULONG)n : 1;
    cfg->report_path = NULL;
    rt_config_error = 0;

    const char *v;
    if ((v = getenv("MDLKIT_PHYS_MB")) && *v) {
        ULONG mb;
        if (rt_parse_ulong(v, (ULONG)(RT_MAX_PHYS >> 20), &mb) || ((size_t)mb << 20) < RT_MIN_PHYS)
            rt_bad_env("MDLKIT_PHYS_MB", v, "megabytes, 16 to 65536");
        else
            cfg->physical_memory = (size_t)mb << 20;
    }
    if ((v = getenv("MDLKIT_OS")) && *v) {
        ULONG os;
        if (mdlkit_parse_os(v, &os))
            rt_bad_env("MDLKIT_OS", v, "win7, win8, win81, win10, win10-2004, win11, vista, xp, or an NTDDI value like 0x06010000");
        else
            cfg->os_version = os;
    }
    if ((v = getenv("MDLKIT_VERIFIER")) && *v) {
        ULONG f;
        if (rt_parse_verifier(v, &f))
            rt_bad_env("MDLKIT_VERIFIER", v, "hex flags like 0x9, or names: special_pool, force_irql, low_resources, pool_tracking, io, ddi, systematic, standard");
        else
            cfg->verifier_flags = f;
    }
    if ((v = getenv("MDLKIT_FAULTS")) && *v) {
        /* probability[,seed[,tags]] */
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
        if (rt_parse_ulong(buf, 10000, &prob) || (seed && rt_parse_ulong(seed, 0xFFFFFFFFUL, &s))) {
            rt_bad_env("MDLKIT_FAULTS", v, "probability per 10000[,seed[,tags]]");
        } else {
            cfg->fault_probability = prob;
            cfg->fault_seed = s;
            if (tags && *tags) {
                snprintf(rt_fault_tags, sizeof rt_fault_tags, "%s", tags);
                cfg->fault_tags = rt_fault_tags;
            }
        }
    }
    if ((v = getenv("MDLKIT_REPORT")) && *v) {
        snprintf(rt_report_path, sizeof rt_report_path, "%s", v);
        cfg->report_path = rt_report_path;
    }
    if ((v = getenv("MDLKIT_SYSTEMATIC_STATE")) && *v) {
        snprintf(rt_systematic_path, sizeof rt_systematic_path, "%s", v);
        cfg->systematic_state = rt_systematic_path;
    }
    if ((v = getenv("MDLKIT_SPECIAL_POOL_TAG")) && *v) {
        /* "Tag1" as poolmon prints it (memory order), or a number */
        size_t n = strlen(v);
        ULONG t = 0;
        if (n <= 4 && !(n > 1 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))) {
            for (size_t i = 0; i < n; i++)
                t |= (ULONG)(unsigned char)v[i] << (8 * i);
            cfg->special_pool_tag = t;
        } else if (rt_parse_ulong(v, 0xFFFFFFFFUL, &t) == 0 && t) {
            cfg->special_pool_tag = t;
        } else {
            rt_bad_env("MDLKIT_SPECIAL_POOL_TAG", v, "a pool tag as printed (Tag1) or a number");
        }
    }
    if ((v = getenv("MDLKIT_SPECIAL_POOL_SIZE")) && *v) {
        ULONG sz;
        if (rt_parse_ulong(v, PAGE_SIZE - 1, &sz) || sz == 0)
            rt_bad_env("MDLKIT_SPECIAL_POOL_SIZE", v, "an allocation size in bytes, 1 to 4095");
        else
            cfg->special_pool_size = sz;
    }
    if ((v = getenv("MDLKIT_CPUS")) && *v) {
        ULONG c;
        if (rt_parse_ulong(v, 64, &c) || c == 0)
            rt_bad_env("MDLKIT_CPUS", v, "1 to 64");
        else
            cfg->processors = c;
    }
}

MK_NORETURN void mk_not_initialized(const char *routine)
{
    fprintf(stderr,
            "mdlkit: %s was called before mdlkit_init() (or after mdlkit_shutdown()).\n"
            "mdlkit: start the simulated machine first: mdlkit_init(NULL);\n",
            routine);
    abort();
}

int mdlkit_is_initialized(void) { return atomic_load(&mk_rt.up); }

const mdlkit_config *mdlkit_current_config(void) { return atomic_load(&mk_rt.up) ? &mk_rt.cfg : NULL; }

static int rt_validate(const mdlkit_config *c)
{
    if (c->physical_memory < RT_MIN_PHYS || c->physical_memory > RT_MAX_PHYS) {
        fprintf(stderr, "mdlkit_init: physical_memory %zu bytes is outside 16 MiB .. 64 GiB\n", c->physical_memory);
        return -1;
    }
    if (c->os_version < NTDDI_WIN2K) {
        fprintf(stderr, "mdlkit_init: os_version 0x%08x is not an NTDDI value\n", c->os_version);
        return -1;
    }
    if (c->fault_probability > 10000) {
        fprintf(stderr, "mdlkit_init: fault_probability %u is above 10000\n", c->fault_probability);
        return -1;
    }
    if (c->processors == 0 || c->processors > 64) {
        fprintf(stderr, "mdlkit_init: processors must be 1..64 (got %u)\n", c->processors);
        return -1;
    }
    return 0;
}

int mdlkit_init(const mdlkit_config *cfg)
{
    mdlkit_config def;
    if (atomic_load(&mk_rt.up)) {
        fprintf(stderr, "mdlkit_init: the runtime is already initialised; call mdlkit_shutdown() first\n");
        return -1;
    }
    if (!cfg) {
        mdlkit_config_default(&def);
        cfg = &def;
    }
    /* mdlkit.h: a bad MDLKIT_* value seen by the last mdlkit_config_default
     * makes mdlkit_init fail, whether or not cfg came from it. */
    if (rt_config_error) {
        fprintf(stderr, "mdlkit_init: refusing to start with an invalid MDLKIT_* environment variable\n");
        return -1;
    }
    if (rt_validate(cfg))
        return -1;
    rt_cfg_storage = *cfg;
    /* keep private copies of the strings */
    if (cfg->report_path && cfg->report_path != rt_report_path) {
        snprintf(rt_report_path, sizeof rt_report_path, "%s", cfg->report_path);
        rt_cfg_storage.report_path = rt_report_path;
    }
    if (cfg->fault_tags && cfg->fault_tags != rt_fault_tags) {
        snprintf(rt_fault_tags, sizeof rt_fault_tags, "%s", cfg->fault_tags);
        rt_cfg_storage.fault_tags = rt_fault_tags;
    }
    if (cfg->systematic_state && cfg->systematic_state != rt_systematic_path) {
        snprintf(rt_systematic_path, sizeof rt_systematic_path, "%s", cfg->systematic_state);
        rt_cfg_storage.systematic_state = rt_systematic_path;
    }
    mk_rt.cfg = rt_cfg_storage;
    mk_rt.os = cfg->os_version;
    mk_rt.verifier = cfg->verifier_flags;
    mk_rt.ncpu = cfg->processors;
    atomic_fetch_add(&mk_rt.generation, 1);

    mk_verifier_hooks_install();
    if (mk_machine_init(&mk_rt.cfg))
        return -1;
    atomic_store(&mk_rt.up, 1);
    mk_thread_attach();
    if (mk_pool_init())
        goto fail_machine;
    if (mk_io_init())
        goto fail_pool;
    if (mk_port_init())
        goto fail_io;
    if (mk_verifier_init())
        goto fail_port;
    return 0;
fail_port:
    mk_port_shutdown();
fail_io:
    mk_io_shutdown();
fail_pool:
    mk_pool_shutdown();
fail_machine:
    atomic_store(&mk_rt.up, 0);
    mk_machine_shutdown();
    return -1;
}

void mdlkit_shutdown(void)
{
    if (!atomic_load(&mk_rt.up))
        return;
    mk_thread_attach();
    mk_verifier_shutdown(); /* final leak check and report (may bug check) */
    mk_port_shutdown();
    mk_io_shutdown();
    mk_pool_shutdown();
    atomic_store(&mk_rt.up, 0);
    mk_machine_shutdown();
}

static const char *rt_os_label(ULONG os)
{
    const char *best = "older than Windows 2000";
    for (size_t i = 0; i < MK_ARRAY_SIZE(rt_os_names); i++)
        if (os >= rt_os_names[i].ntddi)
            best = rt_os_names[i].name;
    return best;
}

void mdlkit_print_layout(FILE *out)
{
    MK_ENTER("mdlkit_print_layout");
    static const char *names[MK_RGN_COUNT] = {"foreign", "user", "nonpaged pool", "paged pool",
                                              "system mappings", "special pool", "direct map", "gap"};
    const mdlkit_config *c = &mk_rt.cfg;
    fprintf(out, "mdlkit configuration\n");
    fprintf(out, "  physical memory   %zu MiB (%zu frames, PFN 0x%llx..0x%llx)\n", c->physical_memory >> 20,
            mk_phys.npages, (unsigned long long)mk_phys.first, (unsigned long long)mk_phys.last);
    fprintf(out, "  emulated OS       NTDDI 0x%08x (%s)\n", c->os_version, rt_os_label(c->os_version));
    fprintf(out, "  verifier flags    0x%08x\n", c->verifier_flags);
    fprintf(out, "  fault injection   %u/10000, seed %u, tags %s\n", c->fault_probability, c->fault_seed,
            c->fault_tags ? c->fault_tags : "(all)");
    fprintf(out, "  processors        %u\n", c->processors);
    fprintf(out, "  report            %s\n", c->report_path ? c->report_path : "(none)");
    fprintf(out, "memory layout\n");
    for (int r = MK_RGN_USER; r < MK_RGN_GAP; r++)
        fprintf(out, "  %-17s %p - %p  (%zu MiB)\n", names[r], (void *)mk_as.rgn_base[r], (void *)mk_as.rgn_end[r],
                (size_t)(mk_as.rgn_end[r] - mk_as.rgn_base[r]) >> 20);
    fprintf(out, "  MmHighestUserAddress %p\n  MmUserProbeAddress   %p\n  MmSystemRangeStart   %p\n",
            MmHighestUserAddress, (void *)MmUserProbeAddress, MmSystemRangeStart);
    fprintf(out, "  mapping budget    %ld of %ld in use\n", (long)atomic_load(&mk_as.maps_in_use), mk_as.maps_budget);
    fprintf(out, "  free frames       %zu of %zu\n", mk_phys_free_count(), mk_phys.npages);
}
