/* cmd_report.c -- `mdlkit report FILE.json`: renders a saved mdlkit report
 * (docs/report-format.md) as the tables `mdlkit demo` prints. */
#include "json.h"
#include "mdlkit_cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const report_sorts[] = {"tag", "nonpaged", "paged", "allocs", "bytes"};

int mdlkit_cli_parse_sort(const char *name)
{
    for (int i = 0; i < (int)(sizeof report_sorts / sizeof report_sorts[0]); i++)
        if (!strcmp(name, report_sorts[i]))
            return i;
    return -1;
}

typedef struct {
    const char *tag;
    double np_allocs, np_frees, np_bytes, p_allocs, p_frees, p_bytes;
} report_row;

static int report_sort_key;

static int report_cmp(const void *a, const void *b)
{
    const report_row *x = a, *y = b;
    double kx = 0, ky = 0;
    switch (report_sort_key) {
    case MDLKIT_CLI_SORT_NONPAGED: kx = x->np_bytes, ky = y->np_bytes; break;
    case MDLKIT_CLI_SORT_PAGED: kx = x->p_bytes, ky = y->p_bytes; break;
    case MDLKIT_CLI_SORT_ALLOCS: kx = x->np_allocs + x->p_allocs, ky = y->np_allocs + y->p_allocs; break;
    case MDLKIT_CLI_SORT_BYTES: kx = x->np_bytes + x->p_bytes, ky = y->np_bytes + y->p_bytes; break;
    default: break;
    }
    if (kx != ky)
        return kx < ky ? 1 : -1; /* biggest first */
    return strcmp(x->tag, y->tag);
}

static void report_pool(FILE *out, const cli_json *pool, int sort)
{
    size_t n = 0;
    for (const cli_json *e = pool ? pool->child : NULL; e; e = e->next)
        n++;
    report_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return;
    size_t i = 0;
    for (const cli_json *e = pool ? pool->child : NULL; e; e = e->next, i++) {
        rows[i].tag = cli_json_str(e, "tag", "?");
        rows[i].np_allocs = cli_json_num(e, "nonpaged_allocs", 0);
        rows[i].np_frees = cli_json_num(e, "nonpaged_frees", 0);
        rows[i].np_bytes = cli_json_num(e, "nonpaged_bytes", 0);
        rows[i].p_allocs = cli_json_num(e, "paged_allocs", 0);
        rows[i].p_frees = cli_json_num(e, "paged_frees", 0);
        rows[i].p_bytes = cli_json_num(e, "paged_bytes", 0);
    }
    report_sort_key = sort;
    qsort(rows, n, sizeof *rows, report_cmp);
    fprintf(out, "Pool use by tag (sorted by %s; Diff = outstanding allocations, Bytes = outstanding bytes)\n",
            report_sorts[sort]);
    fprintf(out, "  %-6s %-5s %9s %9s %7s %10s\n", "Tag", "Type", "Allocs", "Frees", "Diff", "Bytes");
    double ta = 0, tf = 0, tb = 0;
    for (i = 0; i < n; i++) {
        const report_row *r = &rows[i];
        if (r->np_allocs > 0 || r->np_bytes > 0)
            fprintf(out, "  %-6s %-5s %9.0f %9.0f %7.0f %10.0f\n", r->tag, "Nonp", r->np_allocs, r->np_frees,
                    r->np_allocs - r->np_frees, r->np_bytes);
        if (r->p_allocs > 0 || r->p_bytes > 0)
            fprintf(out, "  %-6s %-5s %9.0f %9.0f %7.0f %10.0f\n", r->tag, "Paged", r->p_allocs, r->p_frees,
                    r->p_allocs - r->p_frees, r->p_bytes);
        ta += r->np_allocs + r->p_allocs;
        tf += r->np_frees + r->p_frees;
        tb += r->np_bytes + r->p_bytes;
    }
    fprintf(out, "  %-6s %-5s %9.0f %9.0f %7.0f %10.0f\n", "TOTAL", "", ta, tf, ta - tf, tb);
    free(rows);
}

static void report_counter_label(const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%s", key);
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = ' ';
    buf[0] = (char)toupper((unsigned char)buf[0]);
}

static void report_stack(FILE *out, const cli_json *stack, const char *indent)
{
    for (const cli_json *s = stack ? stack->child : NULL; s; s = s->next)
        if (s->type == CLI_JSON_STRING)
            fprintf(out, "%s%s\n", indent, s->string);
}

int mdlkit_cli_render_report(FILE *out, const cli_json *root, int sort, int with_config)
{
    if (!root || root->type != CLI_JSON_OBJECT || !cli_json_get(root, "mdlkit_report")) {
        fprintf(stderr, "mdlkit report: not an mdlkit report (no \"mdlkit_report\" member)\n");
        return -1;
    }
    const cli_json *cfg = cli_json_get(root, "config");
    if (with_config && cfg)
        fprintf(out, "Machine: %.0f MiB, emulated %s (NTDDI %s), %.0f processors, verifier flags %s\n",
                cli_json_num(cfg, "physical_memory", 0) / 1048576.0, cli_json_str(cfg, "os_name", "?"),
                cli_json_str(cfg, "os_version", "?"), cli_json_num(cfg, "processors", 0),
                cli_json_str(cfg, "verifier_flags", "?"));

    if (!strcmp(cli_json_str(root, "pool_at", "report"), "leak check"))
        fprintf(out, "(pool use as it was when the leak check found the leaks below)\n");
    report_pool(out, cli_json_get(root, "pool"), sort);

    const cli_json *counters = cli_json_get(root, "counters");
    if (counters && counters->child) {
        fprintf(out, "\nVerifier counters (!verifier; cumulative since mdlkit_init)\n");
        for (const cli_json *c = counters->child; c; c = c->next) {
            char label[128];
            report_counter_label(c->key ? c->key : "?", label, sizeof label);
            fprintf(out, "  %-44s %.0f\n", label, c->type == CLI_JSON_NUMBER ? c->number : 0.0);
        }
    }

    const cli_json *current = cli_json_get(root, "current"), *peak = cli_json_get(root, "peak");
    if (current && current->child) {
        fprintf(out, "\nCurrent values (when the report was written; peak in parentheses)\n");
        for (const cli_json *c = current->child; c; c = c->next) {
            char label[128];
            report_counter_label(c->key ? c->key : "?", label, sizeof label);
            const cli_json *pk = peak && c->key ? cli_json_get(peak, c->key) : NULL;
            if (pk && pk->type == CLI_JSON_NUMBER)
                fprintf(out, "  %-44s %.0f (peak %.0f)\n", label, c->type == CLI_JSON_NUMBER ? c->number : 0.0,
                        pk->number);
            else
                fprintf(out, "  %-44s %.0f\n", label, c->type == CLI_JSON_NUMBER ? c->number : 0.0);
        }
    }

    const cli_json *drivers = cli_json_get(root, "drivers");
    if (drivers && drivers->child) {
        fprintf(out, "\nDrivers\n");
        for (const cli_json *d = drivers->child; d; d = d->next) {
            fprintf(out, "  %-20s %.0f outstanding allocations (leaks)\n", cli_json_str(d, "name", "?"),
                    cli_json_num(d, "outstanding", 0));
            const cli_json *cur = cli_json_get(d, "current"), *pk = cli_json_get(d, "peak");
            if (cur && pk)
                fprintf(out,
                        "      non-paged %.0f blocks, %.0f bytes (peak %.0f, %.0f); paged %.0f blocks, %.0f bytes "
                        "(peak %.0f, %.0f)\n",
                        cli_json_num(cur, "nonpaged_pool_allocations", 0), cli_json_num(cur, "nonpaged_bytes", 0),
                        cli_json_num(pk, "nonpaged_pool_allocations", 0), cli_json_num(pk, "nonpaged_bytes", 0),
                        cli_json_num(cur, "paged_pool_allocations", 0), cli_json_num(cur, "paged_bytes", 0),
                        cli_json_num(pk, "paged_pool_allocations", 0), cli_json_num(pk, "paged_bytes", 0));
        }
    }

    const cli_json *leaks = cli_json_get(root, "leaks");
    size_t nleaks = 0;
    for (const cli_json *l = leaks ? leaks->child : NULL; l; l = l->next)
        nleaks++;
    if (nleaks) {
        fprintf(out, "\nLeaks (%zu)\n", nleaks);
        for (const cli_json *l = leaks->child; l; l = l->next) {
            /* a locked_pages record's size counts pages (docs/report-format.md) */
            int pages = !strcmp(cli_json_str(l, "kind", ""), "locked_pages");
            fprintf(out, "  %s %s, %.0f %s, tag %s, driver %s, %s at:\n", cli_json_str(l, "kind", "?"),
                    cli_json_str(l, "address", "?"), cli_json_num(l, "size", 0), pages ? "pages" : "bytes",
                    cli_json_str(l, "tag", "-"), cli_json_str(l, "driver", "?"), pages ? "locked" : "allocated");
            report_stack(out, cli_json_get(l, "stack"), "      ");
        }
    }

    const cli_json *faults = cli_json_get(root, "faults_injected");
    size_t nfaults = 0;
    for (const cli_json *f = faults ? faults->child : NULL; f; f = f->next)
        nfaults++;
    if (nfaults) {
        fprintf(out, "\nFaults injected (%zu)\n", nfaults);
        for (const cli_json *f = faults->child; f; f = f->next) {
            fprintf(out, "  %s (tag %s)\n", cli_json_str(f, "routine", "?"), cli_json_str(f, "tag", "-"));
            report_stack(out, cli_json_get(f, "stack"), "      ");
        }
    }

    const cli_json *bc = cli_json_get(root, "bugcheck");
    if (bc && bc->type == CLI_JSON_OBJECT) {
        fprintf(out, "\nBug check %s %s%s\n", cli_json_str(bc, "code", "?"), cli_json_str(bc, "name", "?"),
                cli_json_num(bc, "caught", 0) ? " (caught by the harness)" : "");
        const char *desc = cli_json_str(bc, "description", NULL);
        if (desc)
            fprintf(out, "  %s\n", desc);
        const cli_json *params = cli_json_get(bc, "params"), *meaning = cli_json_get(bc, "meaning");
        const cli_json *p = params ? params->child : NULL, *m = meaning ? meaning->child : NULL;
        for (int i = 1; p; i++, p = p->next, m = m ? m->next : NULL)
            fprintf(out, "  P%d %-20s %s\n", i, p->type == CLI_JSON_STRING ? p->string : "?",
                    m && m->type == CLI_JSON_STRING ? m->string : "");
        const cli_json *stack = cli_json_get(bc, "stack");
        if (stack && stack->child) {
            fprintf(out, "  stack:\n");
            report_stack(out, stack, "      ");
        }
    } else {
        fprintf(out, "\nNo bug check: no violations.\n");
    }
    const cli_json *all = cli_json_get(root, "bugchecks");
    size_t nall = 0;
    for (const cli_json *b = all ? all->child : NULL; b; b = b->next)
        nall++;
    if (nall > 1) {
        fprintf(out, "\nEvery bug check of this machine (%zu, in order)\n", nall);
        for (const cli_json *b = all->child; b; b = b->next) {
            const cli_json *params = cli_json_get(b, "params");
            fprintf(out, "  %s %-36s", cli_json_str(b, "code", "?"), cli_json_str(b, "name", "?"));
            for (const cli_json *p = params ? params->child : NULL; p; p = p->next)
                fprintf(out, " %s", p->type == CLI_JSON_STRING ? p->string : "?");
            fprintf(out, "%s\n", cli_json_num(b, "caught", 0) ? "  (caught)" : "");
        }
    }
    return 0;
}

/* --pool ADDRESS, as !pool: the block of the report that contains the
 * address (the report lists the blocks still allocated when it was written:
 * its leaks). 0 found, 1 not. */
static int report_pool_lookup(FILE *out, const cli_json *root, const char *text)
{
    char *end;
    unsigned long long want = strtoull(text, &end, 16);
    if (!*text || *end) {
        fprintf(stderr, "mdlkit report: --pool needs a hexadecimal address, not '%s'\n", text);
        return 2;
    }
    const cli_json *leaks = cli_json_get(root, "leaks");
    for (const cli_json *l = leaks ? leaks->child : NULL; l; l = l->next) {
        unsigned long long base = strtoull(cli_json_str(l, "address", "0"), NULL, 16);
        unsigned long long size = (unsigned long long)cli_json_num(l, "size", 0);
        if (want >= base && want < base + (size ? size : 1)) {
            fprintf(out, "0x%llx is inside a %s block left allocated (a leak):\n", want, cli_json_str(l, "kind", "?"));
            fprintf(out, "  block %s, %llu %s, tag %s, address at offset 0x%llx\n", cli_json_str(l, "address", "?"),
                    size, strcmp(cli_json_str(l, "kind", ""), "locked_pages") ? "bytes" : "pages",
                    cli_json_str(l, "tag", "-"), want - base);
            fprintf(out, "  charged to driver %s, allocated at:\n", cli_json_str(l, "driver", "?"));
            report_stack(out, cli_json_get(l, "stack"), "      ");
            return 0;
        }
    }
    fprintf(out, "0x%llx is not inside any block the report lists (its leaks)\n", want);
    return 1;
}

/* --log [ADDRESS], as !verifier 0x80 [Address]: the report's pool
 * allocate/free log (its latest entries), or those of the block that
 * contains ADDRESS, newest first. 0 printed, 1 none, 2 usage. */
static void report_log_entries(FILE *out, const cli_json *log, unsigned long long want, int all)
{
    for (const cli_json *e = log ? log->child : NULL; e; e = e->next) {
        unsigned long long base = strtoull(cli_json_str(e, "address", "0"), NULL, 16);
        unsigned long long size = (unsigned long long)cli_json_num(e, "size", 0);
        if (!all && !(want >= base && want < base + (size ? size : 1)))
            continue;
        int alloc = !strcmp(cli_json_str(e, "op", ""), "alloc");
        const char *drv = cli_json_str(e, "driver", "");
        fprintf(out, "  thread %.0f #%.0f %s %s, %llu bytes, tag %s, %s %s, at:\n", cli_json_num(e, "thread", 0),
                cli_json_num(e, "seq", 0), alloc ? "allocated" : "freed", cli_json_str(e, "address", "?"), size,
                cli_json_str(e, "tag", "-"), alloc ? "charged to" : "by", *drv ? drv : "(the process)");
        report_stack(out, cli_json_get(e, "stack"), "      ");
    }
}

static int report_log(FILE *out, const cli_json *root, const char *text)
{
    unsigned long long want = 0;
    int all = !text || !*text;
    if (!all) {
        char *end;
        want = strtoull(text, &end, 16);
        if (*end) {
            fprintf(stderr, "mdlkit report: --log takes a hexadecimal address, not '%s'\n", text);
            return 2;
        }
    }
    const cli_json *log = cli_json_get(root, "pool_log");
    const cli_json *bc = cli_json_get(root, "bugcheck");
    const cli_json *bclog = bc && bc->type == CLI_JSON_OBJECT ? cli_json_get(bc, "pool_log") : NULL;
    if (!log && !bclog) {
        fprintf(out, "The report has no pool allocate/free log (kept with Pool Tracking, Special Pool or a "
                     "low-resources simulation)\n");
        return 1;
    }
    if (bclog && bclog->child && all) {
        fprintf(out, "Pool allocate/free log of block %s, which the bug check is about (newest first):\n",
                cli_json_str(bc, "pool_block", "?"));
        report_log_entries(out, bclog, 0, 1);
    }
    if (all)
        fprintf(out, "Pool allocate/free log (!verifier 0x80; the latest entries, newest first per thread):\n");
    else
        fprintf(out, "Pool allocate/free log of 0x%llx (newest first per thread):\n", want);
    report_log_entries(out, log, want, all);
    if (!all && bclog)
        report_log_entries(out, bclog, want, 0);
    return 0;
}

static void report_usage(FILE *out)
{
    fprintf(out, "usage: mdlkit report [--sort tag|nonpaged|paged|allocs|bytes] [--pool ADDRESS] [--log[=ADDRESS]] "
                 "FILE.json\n\n"
                 "Renders a saved mdlkit report (written at mdlkit_shutdown or at a bug check to the file\n"
                 "named by MDLKIT_REPORT / mdlkit_config.report_path; format: docs/report-format.md) as\n"
                 "tables: the machine, pool use per tag (poolmon columns: Allocs, Frees, Diff, Bytes, per\n"
                 "pool type), the verifier counters, the drivers, every leak with its allocating stack,\n"
                 "the injected faults, and the bug check with its parameters explained.\n\n"
                 "  --sort KEY   order of the pool table, like !poolused: tag (default, by name),\n"
                 "               nonpaged or paged (outstanding bytes of that pool), allocs (allocations),\n"
                 "               bytes (outstanding bytes of both pools); biggest first\n"
                 "  --pool ADDR  like !pool: only the block of the report (a leak) that contains the\n"
                 "               hexadecimal address ADDR, with its tag, size, driver and allocating\n"
                 "               stack (exit status 1 when no block contains it). In a running test,\n"
                 "               mdlkit_pool_describe(address, stdout, NULL) describes any live block.\n"
                 "  --log[=ADDR] like !verifier 0x80: the pool allocate/free log the report keeps (its\n"
                 "               latest entries, and the history of the block a bug check is about),\n"
                 "               or only the entries of the block that contains ADDR; each with its\n"
                 "               stack. In a running test: mdlkit_pool_log_print(stdout, address, 0).\n\n"
                 "Exit status: 0 rendered, 1 unreadable or not a report, 2 usage error.\n");
}

static int report_run(int argc, char **argv)
{
    const char *path = NULL, *pool = NULL, *log = NULL;
    int sort = MDLKIT_CLI_SORT_TAG;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            report_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--sort") || !strncmp(argv[i], "--sort=", 7)) {
            const char *v = argv[i][6] == '=' ? argv[i] + 7 : (i + 1 < argc ? argv[++i] : "");
            if ((sort = mdlkit_cli_parse_sort(v)) < 0) {
                fprintf(stderr, "mdlkit report: unknown sort '%s'\n\n", v);
                report_usage(stderr);
                return 2;
            }
        } else if (!strcmp(argv[i], "--pool") || !strncmp(argv[i], "--pool=", 7)) {
            pool = argv[i][6] == '=' ? argv[i] + 7 : (i + 1 < argc ? argv[++i] : "");
        } else if (!strcmp(argv[i], "--log") || !strncmp(argv[i], "--log=", 6)) {
            log = argv[i][5] == '=' ? argv[i] + 6 : "";
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "mdlkit report: unknown option '%s'\n\n", argv[i]);
            report_usage(stderr);
            return 2;
        } else if (path) {
            fprintf(stderr, "mdlkit report: one report file at a time\n");
            return 2;
        } else
            path = argv[i];
    }
    if (!path) {
        report_usage(stderr);
        return 2;
    }
    char *text = cli_read_file(path);
    if (!text) {
        perror(path);
        return 1;
    }
    char err[160];
    cli_json *root = cli_json_parse(text, err, sizeof err);
    free(text);
    if (!root) {
        fprintf(stderr, "mdlkit report: %s: %s\n", path, err);
        return 1;
    }
    if (log) {
        int rc = cli_json_get(root, "mdlkit_report") ? report_log(stdout, root, log) : 1;
        cli_json_free(root);
        return rc;
    }
    if (pool) {
        int rc = cli_json_get(root, "mdlkit_report") ? report_pool_lookup(stdout, root, pool) : 1;
        cli_json_free(root);
        return rc;
    }
    printf("mdlkit report %s\n", path);
    int rc = mdlkit_cli_render_report(stdout, root, sort, 1) ? 1 : 0;
    cli_json_free(root);
    return rc;
}

const mdlkit_cli_command mdlkit_cmd_report = {"report", "render a saved JSON report as tables (--sort like !poolused)",
                                              report_run};
