/*
 * runtime.c -- mdlkit_init, mdlkit_shutdown: the configuration's checks and
 * the order in which the layers start and stop. The options themselves
 * (mdlkit_config_default, environment variables) are the table of
 * options.c.
 */
#include "mk_base.h"
#include "mk_machine.h"
#include "mk_options.h"
#include "mk_ke.h"
#include "mk_driver.h"
#include "mk_hal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

mk_runtime mk_rt;
static mdlkit_config rt_cfg_storage;
static char rt_report_path[4096];
static char rt_fault_tags[1024];
static char rt_systematic_path[4096];
#define RT_MIN_PHYS ((size_t)16 << 20)
#define RT_MAX_PHYS ((size_t)64 << 30)

MK_NORETURN void mk_not_initialized(const char *routine)
{
    fprintf(stderr,
            "mdlkit: %s was called before mdlkit_init() (or after mdlkit_shutdown()).\n"
            "mdlkit: start the simulated machine first: mdlkit_init(NULL);\n",
            routine);
    abort();
}

void mk_harness_bad_argument(const char *routine, const char *what)
{
    fprintf(stderr, "mdlkit: %s: %s; the call does nothing and fails.\n", routine, what);
}

int mdlkit_is_initialized(void) { return atomic_load(&mk_rt.up); }

const mdlkit_config *mdlkit_current_config(void) { return atomic_load(&mk_rt.up) ? &mk_rt.cfg : NULL; }

#define RT_VERIFY_KNOWN                                                                                      \
    (MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_LOW_RESOURCES |               \
     MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_IO_CHECKING | MDLKIT_VERIFY_DDI_COMPLIANCE |                      \
     MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES | MDLKIT_VERIFY_SECURITY_CHECKS | MDLKIT_VERIFY_MISC_CHECKS |          \
     MDLKIT_VERIFY_CODE_INTEGRITY)

/* A file mdlkit will write (the report goes to path.tmp, then renamed):
 * its directory must exist and be writable, the path must not be a
 * directory. Checked at mdlkit_init, not first found at exit. */
static int rt_check_writable(const char *what, const char *path, size_t cap)
{
    char dir[4096];
    struct stat st;
    if (strlen(path) + sizeof ".tmp" > cap) {
        fprintf(stderr, "mdlkit_init: %s \"%s\" is too long\n", what, path);
        return -1;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "mdlkit_init: %s \"%s\" is a directory, not a file\n", what, path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "mdlkit_init: %s \"%s\": the directory %s does not exist\n", what, path, dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "mdlkit_init: %s \"%s\": the directory %s is not writable: %s\n", what, path, dir,
                strerror(errno));
        return -1;
    }
    return 0;
}

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
    if (c->os_version > 0x0AFFFFFFUL) {
        fprintf(stderr, "mdlkit_init: os_version 0x%08x is above any Windows NTDDI value (0x0AFFFFFF)\n",
                c->os_version);
        return -1;
    }
    if (c->verifier_flags & ~RT_VERIFY_KNOWN) {
        fprintf(stderr,
                "mdlkit_init: verifier_flags 0x%08x has option bits mdlkit does not implement (0x%08x); the options "
                "are 0x1 special pool, 0x2 force IRQL checking, 0x4 low resources, 0x8 pool tracking, 0x10 I/O "
                "verification, 0x100 security checks, 0x800 miscellaneous checks, 0x20000 DDI compliance, "
                "0x40000 systematic low resources, 0x2000000 code integrity (MDLKIT_VERIFIER=standard "
                "is 0x%08lx)\n",
                c->verifier_flags, (unsigned)(c->verifier_flags & ~RT_VERIFY_KNOWN), MDLKIT_VERIFY_STANDARD);
        return -1;
    }
    if (c->lint < MDLKIT_LINT_OFF || c->lint > MDLKIT_LINT_FATAL) {
        fprintf(stderr, "mdlkit_init: lint %d is not MDLKIT_LINT_OFF (0), _WARN (1) or _FATAL (2)\n", c->lint);
        return -1;
    }
    if (c->special_pool_size >= PAGE_SIZE) {
        fprintf(stderr, "mdlkit_init: special_pool_size %u is not a small allocation size (1 to %u, or 0 for any)\n",
                c->special_pool_size, PAGE_SIZE - 1);
        return -1;
    }
    if (c->fault_tags && strlen(c->fault_tags) >= sizeof rt_fault_tags) {
        fprintf(stderr, "mdlkit_init: fault_tags is longer than %zu characters\n", sizeof rt_fault_tags - 1);
        return -1;
    }
    if (c->report_path && *c->report_path && rt_check_writable("report_path", c->report_path, sizeof rt_report_path))
        return -1;
    if (c->systematic_state && *c->systematic_state &&
        rt_check_writable("systematic_state", c->systematic_state, sizeof rt_systematic_path))
        return -1;
    return 0;
}

/* The kernel and executive: the dispatcher starts here (its processor and
 * timer threads on first use); at shutdown system threads are checked
 * first, then no timer fires, queued work items and DPCs run and their
 * threads stop, handles still open are closed as at process exit. */
static void rt_exec_init(void)
{
    mk_ex_workitem_shutdown(); /* workers a late layer of the previous machine started */
    mk_ke_init();
}
static void rt_exec_shutdown(void)
{
    mk_ps_shutdown();
    mk_timer_shutdown();
    mk_ex_workitem_shutdown();
    mk_dpc_shutdown();
    mk_ob_shutdown();
    mk_ob_event_shutdown();
    mk_ex_resource_shutdown();
    mk_ke_shutdown();
}
/* The port drivers' adapters and records, then the driver records the I/O
 * manager keeps, then the devices of the simulated buses. */
static void rt_port_shutdown(void)
{
    mk_port_shutdown();
    mk_driver_shutdown_all();
    mk_sysdma_reset();
    mk_pci_shutdown();
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
    if (mk_options_env_error()) {
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
    rt_exec_init(); /* dispatcher, DPCs, timers, threads, handles (threads start on first use) */
    if (mk_io_init())
        goto fail_pool;
    if (mk_port_init())
        goto fail_io;
    if (mk_verifier_init())
        goto fail_port;
    return 0;
fail_port:
    rt_port_shutdown();
fail_io:
    mk_io_shutdown();
fail_pool:
    mk_pool_shutdown();
fail_machine:
    atomic_store(&mk_rt.up, 0);
    mk_machine_shutdown();
    return -1;
}

/* The layers' shutdown, each step re-run under an absorbing frame until it
 * completes: after a caught bug check (or for mdlkit_reset) what the machine
 * still holds is reported as information, never raised (src/ke/bugcheck.c). */
static void rt_step_exec(void *a) { (void)a; rt_exec_shutdown(); }
static void rt_step_devices(void *a) { (void)a; mk_driver_release_devices(); }
static void rt_step_verifier(void *a) { (void)a; mk_verifier_shutdown(); }
static void rt_step_port(void *a) { (void)a; rt_port_shutdown(); }
static void rt_step_io(void *a) { (void)a; mk_io_shutdown(); }
static void rt_step_pool(void *a) { (void)a; mk_pool_shutdown(); }
static unsigned rt_teardown(void)
{
    unsigned before = mk_crash_absorbed();
    mk_teardown_step(rt_step_exec, NULL);
    mk_teardown_step(rt_step_devices, NULL);
    mk_teardown_step(rt_step_verifier, NULL);
    mk_teardown_step(rt_step_port, NULL);
    mk_teardown_step(rt_step_io, NULL);
    mk_teardown_step(rt_step_pool, NULL);
    unsigned found = mk_crash_absorbed() - before;
    atomic_store(&mk_rt.up, 0);
    mk_machine_shutdown();
    return found;
}

int mdlkit_reset(void)
{
    if (!atomic_load(&mk_rt.up))
        return 0;
    mk_thread_attach();
    mk_crash_mark();
    return (int)rt_teardown();
}

void mdlkit_shutdown(void)
{
    if (!atomic_load(&mk_rt.up))
        return;
    mk_thread_attach();
    if (mk_crashed() && !mk_self.catch_top) {
        (void)rt_teardown();
        return;
    }
    rt_exec_shutdown(); /* system threads, timers, DPC queues, handles */
    mk_driver_release_devices(); /* loaded drivers' device objects go with the machine */
    mk_verifier_shutdown(); /* final leak check and report (may bug check) */
    rt_port_shutdown();
    mk_io_shutdown();
    mk_pool_shutdown();
    atomic_store(&mk_rt.up, 0);
    mk_machine_shutdown();
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
    fprintf(out, "  emulated OS       NTDDI 0x%08x (%s)\n", c->os_version, mk_os_label(c->os_version));
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
