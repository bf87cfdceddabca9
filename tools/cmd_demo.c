/*
 * cmd_demo.c -- `mdlkit demo`: runs the example drivers (examples/) under the
 * verifier and prints what happened; `mdlkit demo --bug NAME` runs one
 * deliberately buggy variant in a child process so that the real bug-check
 * path (report on stderr, JSON report, abort) is what the user sees.
 */
#include "examples.h"
#include "json.h"
#include "mdlkit_cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The report writer lives in the verifier layer; the demo still runs (with
 * a smaller table) in a library built without it. */
#pragma weak mdlkit_report_write

#define DEMO_FLAGS                                                                                      \
    (MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_POOL_TRACKING |   \
     MDLKIT_VERIFY_DDI_COMPLIANCE)
#define DEMO_BUG_REQUESTS 64u

typedef struct {
    const char *name;
    const char *what;
    int (*run)(ULONG requests, ULONG debug_flags, mdlkit_example_stats *st);
} demo_example;

static const demo_example demo_examples[] = {
#ifdef MDLKIT_EXAMPLE_HAVE_RAMDISK
    {"ramdisk", "StorPort RAM-disk miniport: READ/WRITE SRBs whose buffers are MDLs, split through a partial MDL",
     mdlkit_example_ramdisk_run},
#endif
#ifdef MDLKIT_EXAMPLE_HAVE_NETRECV
    {"netrecv", "NDIS miniport: a device writes frames through a shared-memory ring into MDL-described buffers",
     mdlkit_example_netrecv_run},
#endif
    {"ioctl", "WDM driver: METHOD_OUT_DIRECT and METHOD_NEITHER IOCTLs on locked user buffers",
     mdlkit_example_ioctl_run},
};
#define DEMO_NEXAMPLES (sizeof demo_examples / sizeof demo_examples[0])

static void demo_usage(FILE *out)
{
    fprintf(out, "usage: mdlkit demo [--requests N] [--report FILE.json] [--sort KEY]\n"
                 "       mdlkit demo --bug NAME\n"
                 "       mdlkit demo --list-bugs\n\n"
                 "Runs the example drivers of examples/ -- each an unmodified WDK driver -- on the simulated\n"
                 "machine under the verifier (special pool, force IRQL checking, pool tracking, DDI\n"
                 "compliance checking; MDLKIT_VERIFIER overrides), drives realistic traffic through them and\n"
                 "checks every byte, unloads them (pool tracking checks for leaks), and prints: requests\n"
                 "served per driver, pool use per tag (poolmon columns), the verifier counters, and\n"
                 "\"no violations\" when nothing was found. Exit status 0 when every request was served and\n"
                 "no bug check happened.\n\n"
                 "  --requests N   requests per example (default %u)\n"
                 "  --report FILE  also keep the JSON report there (render it later with `mdlkit report`)\n"
                 "  --sort KEY     pool table order: tag, nonpaged, paged, allocs, bytes\n"
                 "  --bug NAME     run one deliberately buggy driver variant in a child process and show the\n"
                 "                 report a user gets: the bug-check code and name, its parameters explained,\n"
                 "                 the stack of the offending line, and for leaks the allocating stack.\n"
                 "                 Exit status 0 if the expected bug check happened, 1 otherwise.\n"
                 "  --list-bugs    list the buggy variants\n\nbugs:\n",
            MDLKIT_EXAMPLE_DEMO_REQUESTS);
    for (size_t i = 0; i < mdlkit_example_bug_count; i++)
        fprintf(out, "  %-18s %s: %s\n", mdlkit_example_bugs[i].name, mdlkit_example_bugs[i].example,
                mdlkit_example_bugs[i].summary);
}

static void demo_config(mdlkit_config *cfg, ULONG flags, const char *report)
{
    mdlkit_config_default(cfg);
    if (!getenv("MDLKIT_VERIFIER") || !*getenv("MDLKIT_VERIFIER"))
        cfg->verifier_flags = flags;
    if (!getenv("MDLKIT_PHYS_MB") || !*getenv("MDLKIT_PHYS_MB"))
        cfg->physical_memory = (size_t)256 << 20;
    if (report)
        cfg->report_path = report;
}

static void demo_flag_names(FILE *out, ULONG f)
{
    static const struct {
        ULONG flag;
        const char *name;
    } names[] = {{MDLKIT_VERIFY_SPECIAL_POOL, "special pool"},
                 {MDLKIT_VERIFY_FORCE_IRQL_CHECKING, "force IRQL checking"},
                 {MDLKIT_VERIFY_LOW_RESOURCES, "low resources simulation"},
                 {MDLKIT_VERIFY_POOL_TRACKING, "pool tracking"},
                 {MDLKIT_VERIFY_IO_CHECKING, "I/O verification"},
                 {MDLKIT_VERIFY_DDI_COMPLIANCE, "DDI compliance checking"},
                 {MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES, "systematic low resources simulation"}};
    const char *sep = "";
    fprintf(out, "0x%08x (", (unsigned)f);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].flag) {
            fprintf(out, "%s%s", sep, names[i].name);
            sep = ", ";
        }
    fprintf(out, "%s)", *sep ? "" : "none");
}

/* Pool table straight from the tag counters (when there is no JSON report). */
static void demo_pool_table(FILE *out)
{
    size_t n = mdlkit_pool_usage(NULL, 0);
    mdlkit_pool_tag_usage *u = calloc(n ? n : 1, sizeof *u);
    if (!u)
        return;
    n = mdlkit_pool_usage(u, n);
    fprintf(out, "Pool use by tag (Diff = outstanding allocations, Bytes = outstanding bytes)\n");
    fprintf(out, "  %-6s %-5s %9s %9s %7s %10s\n", "Tag", "Type", "Allocs", "Frees", "Diff", "Bytes");
    for (size_t i = 0; i < n; i++) {
        if (u[i].nonpaged_allocs)
            fprintf(out, "  %-6s %-5s %9llu %9llu %7llu %10llu\n", u[i].name, "Nonp",
                    (unsigned long long)u[i].nonpaged_allocs, (unsigned long long)u[i].nonpaged_frees,
                    (unsigned long long)u[i].nonpaged_outstanding, (unsigned long long)u[i].nonpaged_bytes);
        if (u[i].paged_allocs)
            fprintf(out, "  %-6s %-5s %9llu %9llu %7llu %10llu\n", u[i].name, "Paged",
                    (unsigned long long)u[i].paged_allocs, (unsigned long long)u[i].paged_frees,
                    (unsigned long long)u[i].paged_outstanding, (unsigned long long)u[i].paged_bytes);
    }
    free(u);
}

/* The tables of the report: from the JSON report when the library writes
 * one (so `mdlkit demo` and `mdlkit report` print the same thing). */
static void demo_tables(FILE *out, const char *keep, int sort)
{
    char tmp[] = "/tmp/mdlkit-demo-XXXXXX";
    const char *path = keep;
    if (mdlkit_report_write) {
        if (!path) {
            int fd = mkstemp(tmp);
            if (fd >= 0) {
                close(fd);
                path = tmp;
            }
        }
        if (path && mdlkit_report_write(path) == 0) {
            char *text = cli_read_file(path);
            cli_json *root = text ? cli_json_parse(text, NULL, 0) : NULL;
            free(text);
            if (path == tmp)
                unlink(tmp);
            if (root && mdlkit_cli_render_report(out, root, sort, 0) == 0) {
                cli_json_free(root);
                return;
            }
            cli_json_free(root);
        } else if (path == tmp)
            unlink(tmp);
    }
    demo_pool_table(out);
    mdlkit_bugcheck bc = mdlkit_last_bugcheck();
    if (bc.code == 0)
        fprintf(out, "\nNo bug check: no violations.\n");
}

static int demo_all(ULONG requests, const char *keep, int sort)
{
    mdlkit_config cfg;
    demo_config(&cfg, DEMO_FLAGS, NULL);
    if (mdlkit_init(&cfg) != 0)
        return 1;
    printf("mdlkit demo: %zu example drivers on a simulated %zu MiB machine, verifier flags ", DEMO_NEXAMPLES,
           cfg.physical_memory >> 20);
    demo_flag_names(stdout, cfg.verifier_flags);
    printf("\n\n");
    ULONG served = 0, failed = 0;
    int bad = 0;
    for (size_t i = 0; i < DEMO_NEXAMPLES; i++) {
        mdlkit_example_stats st;
        printf("[%s] %s\n", demo_examples[i].name, demo_examples[i].what);
        fflush(stdout);
        int rc = demo_examples[i].run(requests, 0, &st);
        printf("  driver %s: requests served: %u, failed: %u, bytes checked: %llu\n", st.driver, st.requests,
               st.failed, (unsigned long long)st.bytes);
        printf("  %s\n", st.detail);
        printf("  driver unloaded, %s\n\n", rc == 0 ? "nothing outstanding" : "with errors (see above)");
        served += st.requests;
        failed += st.failed;
        bad |= rc != 0;
    }
    demo_tables(stdout, keep, sort);
    mdlkit_bugcheck bc = mdlkit_last_bugcheck();
    printf("\nResult: %zu drivers, %u requests served, %u failed, %s\n", DEMO_NEXAMPLES, served, failed,
           bc.code ? "a bug check was raised" : "no violations");
    mdlkit_shutdown();
    return bad || failed || bc.code ? 1 : 0;
}

/* ---- --bug NAME: the child runs the buggy driver, the parent explains ---- */

static int demo_pipe_fd = -1;

/* The bug check's last step is abort(): hand its code and parameters to the
 * parent first (only async-signal-safe calls here). */
static void demo_on_abort(int sig)
{
    mdlkit_bugcheck bc = mdlkit_last_bugcheck();
    if (demo_pipe_fd >= 0) {
        ssize_t r = write(demo_pipe_fd, &bc, sizeof bc);
        (void)r;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int demo_bug(const mdlkit_example_bug *bug)
{
    char report[] = "/tmp/mdlkit-bug-XXXXXX";
    int rfd = mkstemp(report);
    if (rfd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(rfd);
    int pfd[2];
    if (pipe(pfd) != 0) {
        perror("pipe");
        return 1;
    }
    printf("mdlkit demo --bug %s\n  driver:   %s example\n  the bug:  %s\n  where:    %s\n", bug->name,
           bug->example, bug->summary, bug->source);
    printf("  verifier: ");
    mdlkit_config shown;
    demo_config(&shown, bug->verifier_flags, NULL);
    demo_flag_names(stdout, shown.verifier_flags);
    printf("\n");
    printf("  expected: bug check 0x%08X %s\n\nRunning the buggy driver in a child process; its bug-check report "
           "follows.\n-----------------------------------------------------------------------------\n",
           (unsigned)bug->code, mdlkit_bugcheck_name(bug->code) ? mdlkit_bugcheck_name(bug->code) : "");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        close(pfd[0]);
        demo_pipe_fd = pfd[1];
        signal(SIGABRT, demo_on_abort);
        dup2(STDOUT_FILENO, STDERR_FILENO); /* one stream, in order */
        mdlkit_config cfg;
        demo_config(&cfg, bug->verifier_flags, report);
        if (mdlkit_init(&cfg) != 0)
            _exit(4);
        mdlkit_example_stats st;
        int rc = bug->run(DEMO_BUG_REQUESTS, bug->debug_flags, &st);
        printf("the buggy %s driver ran to the end (%u requests served, rc %d) without a bug check\n", bug->example,
               st.requests, rc);
        fflush(stdout);
        mdlkit_shutdown();
        _exit(3);
    }
    close(pfd[1]);
    mdlkit_bugcheck bc;
    memset(&bc, 0, sizeof bc);
    ssize_t got = 0, r;
    while (got < (ssize_t)sizeof bc && (r = read(pfd[0], (char *)&bc + got, sizeof bc - (size_t)got)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        got += r;
    }
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    printf("-----------------------------------------------------------------------------\n");
    if (WIFSIGNALED(status))
        printf("The child process was stopped by signal %d (%s), as a bug check stops the machine.\n",
               WTERMSIG(status), WTERMSIG(status) == SIGABRT ? "SIGABRT" : "unexpected");
    else
        printf("The child process exited with status %d.\n", WEXITSTATUS(status));

    char *text = cli_read_file(report);
    cli_json *root = text && *text ? cli_json_parse(text, NULL, 0) : NULL;
    free(text);
    unlink(report);
    if (root) {
        printf("\nThe JSON report it wrote (MDLKIT_REPORT), as `mdlkit report` renders it:\n\n");
        mdlkit_cli_render_report(stdout, root, MDLKIT_CLI_SORT_TAG, 0);
        cli_json_free(root);
    }

    int ok = got == (ssize_t)sizeof bc && WIFSIGNALED(status) && bc.code == bug->code &&
             (bug->code == DRIVER_IRQL_NOT_LESS_OR_EQUAL || bc.param[0] == bug->p1);
    if (got == (ssize_t)sizeof bc && bc.code)
        printf("\nbug check: 0x%08X %s (0x%llx, 0x%llx, 0x%llx, 0x%llx)\n", (unsigned)bc.code,
               mdlkit_bugcheck_name(bc.code) ? mdlkit_bugcheck_name(bc.code) : "?", (unsigned long long)bc.param[0],
               (unsigned long long)bc.param[1], (unsigned long long)bc.param[2], (unsigned long long)bc.param[3]);
    printf("%s: expected bug check 0x%08X %s%s\n", ok ? "OK" : "FAILED", (unsigned)bug->code,
           mdlkit_bugcheck_name(bug->code) ? mdlkit_bugcheck_name(bug->code) : "",
           ok ? " happened" : " did not happen");
    return ok ? 0 : 1;
}

static int demo_run(int argc, char **argv)
{
    ULONG requests = MDLKIT_EXAMPLE_DEMO_REQUESTS;
    const char *bug = NULL, *keep = NULL;
    int sort = MDLKIT_CLI_SORT_TAG;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            demo_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list-bugs")) {
            for (size_t b = 0; b < mdlkit_example_bug_count; b++)
                printf("%-18s %-8s 0x%08X %s\n", mdlkit_example_bugs[b].name, mdlkit_example_bugs[b].example,
                       (unsigned)mdlkit_example_bugs[b].code, mdlkit_bugcheck_name(mdlkit_example_bugs[b].code));
            return 0;
        } else if (!strcmp(a, "--bug") && v) {
            bug = v;
            i++;
        } else if (!strcmp(a, "--report") && v) {
            keep = v;
            i++;
        } else if (!strcmp(a, "--sort") && v) {
            if ((sort = mdlkit_cli_parse_sort(v)) < 0) {
                fprintf(stderr, "mdlkit demo: unknown sort '%s'\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--requests") && v) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (*end || n == 0 || n > 1000000) {
                fprintf(stderr, "mdlkit demo: --requests takes 1..1000000\n");
                return 2;
            }
            requests = (ULONG)n;
            i++;
        } else {
            fprintf(stderr, "mdlkit demo: unexpected argument '%s'\n\n", a);
            demo_usage(stderr);
            return 2;
        }
    }
    if (bug) {
        const mdlkit_example_bug *b = mdlkit_example_find_bug(bug);
        if (!b) {
            fprintf(stderr, "mdlkit demo: no bug called '%s'\n\n", bug);
            demo_usage(stderr);
            return 2;
        }
        return demo_bug(b);
    }
    return demo_all(requests, keep, sort);
}

const mdlkit_cli_command mdlkit_cmd_demo = {"demo", "run the example drivers under the verifier (--bug NAME: a buggy one)",
                                            demo_run};
