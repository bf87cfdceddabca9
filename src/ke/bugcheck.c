/*
 * bugcheck.c -- KeBugCheckEx and KeBugCheck, mk_bugcheck / mk_violation,
 * the bug-check report, mdlkit_catch_bugcheck, mdlkit_last_bugcheck, cheap
 * stack capture (mk_capture_stack) and symbolization (mk_symbolize).
 *
 * A bug check prints a report on stderr -- code and name, the four
 * parameters with what each means for this code and subcode, a sentence on
 * what went wrong, the symbolized stack of the offending call (mdlkit's own
 * frames left out) and the notes added with mk_bugcheck_note -- then tells
 * the verifier, then either unwinds to the innermost mdlkit_catch_bugcheck
 * of the thread (report suppressed when cfg.quiet) or aborts the process.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_ke.h"
#include "mk_verifier.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------- */
static pthread_mutex_t bc_last_lock = PTHREAD_MUTEX_INITIALIZER;
static mdlkit_bugcheck bc_last;
static pthread_mutex_t bc_print_lock = PTHREAD_MUTEX_INITIALIZER;

static MK_TLS int bc_depth;            /* > 0 while this thread raises a bug check */

/* The crashed state. A bug check caught by mdlkit_catch_bugcheck leaves the
 * machine holding whatever the interrupted call had (locked pages, an IRP,
 * MDLs, raised IRQL on other objects): from then until the next mdlkit_init
 * (bc_crash_gen == mk_rt.generation) a cleanup call made outside any
 * mdlkit_catch_bugcheck (mdlkit_shutdown, mdlkit_user_free,
 * mdlkit_driver_unload) runs under an absorbing frame: a bug check raised
 * inside it is printed as information, counted, and ends that step of the
 * cleanup instead of the process. mdlkit_reset absorbs whether or not a bug
 * check was caught. */
static atomic_uint bc_crash_gen;       /* generation of the last caught bug check, 0 = none */
static atomic_uint bc_crash_count;     /* bug checks caught in that generation */
static atomic_uint bc_absorbed;        /* would-be bug checks absorbed in that generation */
static MK_TLS struct mk_catch *bc_absorb_top; /* innermost absorbing frame of this thread */
static MK_TLS const char *bc_why;      /* P2 sentence of the current mk_violation */
static MK_TLS char *bc_notes;          /* notes for the next report */
static MK_TLS size_t bc_notes_len, bc_notes_cap;

/* ------------------------------------------------------------------------
 * Notes
 * ---------------------------------------------------------------------- */
void mk_bugcheck_note(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = strlen(line);
    size_t need = bc_notes_len + len + 2;
    if (need > bc_notes_cap) {
        size_t cap = bc_notes_cap ? bc_notes_cap * 2 : 4096;
        while (cap < need)
            cap *= 2;
        char *p = realloc(bc_notes, cap);
        if (!p)
            return;
        bc_notes = p;
        bc_notes_cap = cap;
    }
    memcpy(bc_notes + bc_notes_len, line, len);
    bc_notes_len += len;
    if (len == 0 || line[len - 1] != '\n')
        bc_notes[bc_notes_len++] = '\n';
    bc_notes[bc_notes_len] = 0;
}

static void bc_notes_clear(void)
{
    bc_notes_len = 0;
    if (bc_notes)
        bc_notes[0] = 0;
}

/* ------------------------------------------------------------------------
 * Stack capture (frame-pointer walk, bounded by the thread's stack)
 * ---------------------------------------------------------------------- */
static MK_TLS uintptr_t bc_stack_lo, bc_stack_hi;

static void bc_stack_bounds(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            bc_stack_lo = (uintptr_t)addr;
            bc_stack_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    if (!bc_stack_hi) {
        /* Unknown: allow 8 MiB above the current frame. */
        uintptr_t here = (uintptr_t)__builtin_frame_address(0);
        bc_stack_lo = here - 4096;
        bc_stack_hi = here + ((uintptr_t)8 << 20);
    }
}

MK_NOINLINE int mk_capture_stack(void **pcs, int max, int skip)
{
    if (max <= 0)
        return 0;
    if (MK_UNLIKELY(!bc_stack_hi))
        bc_stack_bounds();
    uintptr_t lo = bc_stack_lo, hi = bc_stack_hi;
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    int n = 0;
    while (n < max) {
        if (fp < lo || fp + 2 * sizeof(void *) > hi || (fp & (sizeof(void *) - 1)))
            break;
        uintptr_t next = ((uintptr_t *)fp)[0];
        void *ret = ((void **)fp)[1];
        if (!ret)
            break;
        if (skip > 0)
            skip--;
        else
            pcs[n++] = ret;
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

/* ------------------------------------------------------------------------
 * Symbolization: dladdr + addr2line, cached.
 * ---------------------------------------------------------------------- */
typedef struct bc_sym {
    void *pc;
    char func[160];
    char file[256]; /* "" if unknown */
    int line;
    char module[128];
    int system;     /* in a system library (/lib, /usr/lib: libc, sanitizer runtimes) */
    int no_lines;   /* the module has symbols but no line information (built without -g) */
} bc_sym;

#define BC_SYM_CACHE 256
static pthread_mutex_t bc_sym_lock = PTHREAD_MUTEX_INITIALIZER;
static bc_sym bc_sym_cache[BC_SYM_CACHE];
static unsigned bc_sym_next;
static int bc_addr2line_missing;

static void bc_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static const char *bc_basename(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* mdlkit's src/ directory as compiled, e.g. "/work/main/src/". */
static const char *bc_src_dir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *f = __FILE__;
        const char *tail = strstr(f, "ke/bugcheck.c");
        size_t n = tail ? (size_t)(tail - f) : 0;
        if (n >= sizeof dir)
            n = sizeof dir - 1;
        if (n == 0) {
            snprintf(dir, sizeof dir, "src/");
        } else {
            memcpy(dir, f, n);
            dir[n] = 0;
        }
    }
    return dir;
}

/* mdlkit's public headers as compiled in-tree, e.g. "/work/main/include/". */
static const char *bc_include_dir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *src = bc_src_dir();
        size_t n = strlen(src);
        /* ".../src/" -> ".../include/" */
        if (n >= 4 && strcmp(src + n - 4, "src/") == 0 && n - 4 + sizeof "include/" <= sizeof dir) {
            memcpy(dir, src, n - 4);
            memcpy(dir + n - 4, "include/", sizeof "include/");
        } else {
            snprintf(dir, sizeof dir, "include/");
        }
    }
    return dir;
}

/* A location inside one of mdlkit's public headers -- in-tree (include/)
 * or installed (<prefix>/include/mdlkit/): the MDLKIT_FORCEINLINE wrappers
 * (StorPortAllocatePool, NdisAllocateFromNPagedLookasideList, ...) that are
 * compiled into the driver. Their frames are mdlkit's, not the driver's. */
static int bc_public_header(const char *file)
{
    if (!file[0])
        return 0;
    const char *inc = bc_include_dir();
    if (strncmp(file, inc, strlen(inc)) == 0)
        return 1;
    return strstr(file, "/include/mdlkit/") != NULL;
}

/* addr2line -i prints one function/location pair per inlined frame,
 * innermost first, then the function the code was inlined into. The first
 * pair that is not in a public mdlkit header names the code that called
 * the wrapper. */
static void bc_run_addr2line(const char *module, uintptr_t offset, bc_sym *s)
{
    if (bc_addr2line_missing || strchr(module, '\'') || !module[0])
        return;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "addr2line -i -f -C -e '%s' 0x%lx 2>/dev/null", module, (unsigned long)offset);
    FILE *p = popen(cmd, "r");
    if (!p) {
        bc_addr2line_missing = 1;
        return;
    }
    char fn[sizeof s->func + 64] = "", loc[sizeof s->file + 64] = "";
    int any = 0, chosen = 0;
    while (fgets(fn, sizeof fn, p) && fgets(loc, sizeof loc, p)) {
        any = 1;
        if (chosen)
            continue; /* drain the pipe */
        fn[strcspn(fn, "\r\n")] = 0;
        loc[strcspn(loc, "\r\n")] = 0;
        char *disc = strstr(loc, " (discriminator");
        if (disc)
            *disc = 0;
        char file[sizeof s->file] = "";
        int line = 0;
        char *colon = strrchr(loc, ':');
        if (colon && strncmp(loc, "??", 2) != 0 && atoi(colon + 1) > 0) {
            /* "file:0" is a compilation unit without line information */
            *colon = 0;
            bc_copy(file, sizeof file, loc);
            line = atoi(colon + 1);
        }
        /* Keep the innermost pair as the fallback, prefer an outer one
         * when the inner one is a public-header wrapper. */
        if (strcmp(fn, "??") != 0)
            bc_copy(s->func, sizeof s->func, fn);
        bc_copy(s->file, sizeof s->file, file);
        s->line = line;
        if (!bc_public_header(file))
            chosen = 1;
    }
    int rc = pclose(p);
    if (rc != 0 && !any)
        bc_addr2line_missing = 1; /* not installed: do not try again */
}

/* Symbol tables (nm) of modules without line information, for
 * "function+offset" of static functions (dladdr names exported ones only). */
typedef struct bc_symtab {
    char module[512];
    uintptr_t *addr;
    char (*name)[96];
    size_t n;
} bc_symtab;
#define BC_SYMTABS 8
static pthread_mutex_t bc_symtab_lock = PTHREAD_MUTEX_INITIALIZER;
static bc_symtab bc_symtabs[BC_SYMTABS];
static int bc_nsymtabs;

static int bc_symtab_cmp(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void bc_symtab_load(bc_symtab *t, const char *module)
{
    char cmd[1024];
    snprintf(t->module, sizeof t->module, "%s", module);
    snprintf(cmd, sizeof cmd, "nm -C --defined-only '%s' 2>/dev/null", module);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    size_t cap = 0;
    struct { uintptr_t addr; char name[96]; } *rows = NULL;
    char line[512];
    while (fgets(line, sizeof line, p)) {
        unsigned long a;
        char type, name[400];
        if (sscanf(line, "%lx %c %399[^\n]", &a, &type, name) != 3 || (type != 't' && type != 'T'))
            continue;
        if (t->n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            void *np = realloc(rows, ncap * sizeof *rows);
            if (!np)
                break;
            rows = np;
            cap = ncap;
        }
        rows[t->n].addr = a;
        bc_copy(rows[t->n].name, sizeof rows[t->n].name, name);
        t->n++;
    }
    pclose(p);
    if (!t->n) {
        free(rows);
        return;
    }
    qsort(rows, t->n, sizeof *rows, bc_symtab_cmp);
    t->addr = malloc(t->n * sizeof *t->addr);
    t->name = malloc(t->n * sizeof *t->name);
    if (!t->addr || !t->name) {
        free(t->addr);
        free(t->name);
        t->addr = NULL;
        t->name = NULL;
        t->n = 0;
    } else {
        for (size_t i = 0; i < t->n; i++) {
            t->addr[i] = rows[i].addr;
            memcpy(t->name[i], rows[i].name, sizeof t->name[i]);
        }
    }
    free(rows);
}

/* "function+0xoffset" of a module offset, from the module's symbol table. */
static int bc_symtab_lookup(const char *module, uintptr_t offset, char *out, size_t cap)
{
    int found = 0;
    pthread_mutex_lock(&bc_symtab_lock);
    bc_symtab *t = NULL;
    for (int i = 0; i < bc_nsymtabs; i++)
        if (strcmp(bc_symtabs[i].module, module) == 0)
            t = &bc_symtabs[i];
    if (!t && bc_nsymtabs < BC_SYMTABS) {
        t = &bc_symtabs[bc_nsymtabs++];
        bc_symtab_load(t, module);
    }
    if (t && t->n && offset >= t->addr[0]) {
        size_t lo = 0, hi = t->n;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (t->addr[mid] <= offset)
                lo = mid;
            else
                hi = mid;
        }
        snprintf(out, cap, "%s+0x%lx", t->name[lo], (unsigned long)(offset - t->addr[lo]));
        found = 1;
    }
    pthread_mutex_unlock(&bc_symtab_lock);
    return found;
}

static int bc_system_path(const char *path)
{
    return strncmp(path, "/lib", 4) == 0 || strncmp(path, "/usr/lib", 8) == 0 || strstr(path, "/ld-linux") != NULL;
}

static void bc_resolve(void *pc, bc_sym *out)
{
    pthread_mutex_lock(&bc_sym_lock);
    for (unsigned i = 0; i < BC_SYM_CACHE; i++)
        if (bc_sym_cache[i].pc == pc) {
            *out = bc_sym_cache[i];
            pthread_mutex_unlock(&bc_sym_lock);
            return;
        }
    pthread_mutex_unlock(&bc_sym_lock);

    bc_sym s;
    memset(&s, 0, sizeof s);
    s.pc = pc;
    Dl_info info;
    struct link_map *lm = NULL;
    char module[512] = "";
    uintptr_t offset = (uintptr_t)pc;
    if (dladdr1(pc, &info, (void **)&lm, RTLD_DL_LINKMAP) && lm) {
        if (lm->l_name && lm->l_name[0]) {
            snprintf(module, sizeof module, "%s", lm->l_name);
        } else {
            ssize_t n = readlink("/proc/self/exe", module, sizeof module - 1);
            module[n > 0 ? n : 0] = 0;
        }
        offset = (uintptr_t)pc - (uintptr_t)lm->l_addr;
        if (info.dli_sname)
            snprintf(s.func, sizeof s.func, "%s+0x%lx", info.dli_sname,
                     (unsigned long)((uintptr_t)pc - (uintptr_t)info.dli_saddr));
    } else {
        ssize_t n = readlink("/proc/self/exe", module, sizeof module - 1);
        module[n > 0 ? n : 0] = 0;
    }
    snprintf(s.module, sizeof s.module, "%s", bc_basename(module));
    s.system = bc_system_path(module);
    /* A return address points after the call; look up the call itself. */
    bc_run_addr2line(module, offset ? offset - 1 : 0, &s);
    if (!s.file[0] && !s.system && module[0]) {
        /* No line information: name the code as function+offset. */
        char fo[sizeof s.func];
        if (bc_symtab_lookup(module, offset ? offset - 1 : 0, fo, sizeof fo)) {
            bc_copy(s.func, sizeof s.func, fo);
            s.no_lines = 1;
        }
    }

    pthread_mutex_lock(&bc_sym_lock);
    bc_sym_cache[bc_sym_next++ % BC_SYM_CACHE] = s;
    pthread_mutex_unlock(&bc_sym_lock);
    *out = s;
}

static void bc_format(const bc_sym *s, char *buf, size_t len)
{
    const char *fn = s->func[0] ? s->func : "??";
    if (s->file[0])
        snprintf(buf, len, "%s (%s:%d)", fn, s->file, s->line);
    else
        snprintf(buf, len, "%s (%s)", fn, s->module[0] ? s->module : "?");
}

void mk_symbolize(void *pc, char *buf, size_t len)
{
    bc_sym s;
    bc_resolve(pc, &s);
    bc_format(&s, buf, len);
}

/* A frame of mdlkit itself: compiled from a file under src/ or inlined from
 * one of its public headers (include/, <prefix>/include/mdlkit/), or (no line
 * information) in libmdlkit or named mk_*. */
static int bc_internal(const bc_sym *s)
{
    if (s->file[0])
        return strncmp(s->file, bc_src_dir(), strlen(bc_src_dir())) == 0 || bc_public_header(s->file);
    if (strncmp(s->module, "libmdlkit", 9) == 0)
        return 1;
    return strncmp(s->func, "mk_", 3) == 0;
}

/* ------------------------------------------------------------------------
 * The report
 * ---------------------------------------------------------------------- */
#define BC_MAX_FRAMES 64
#define BC_MAX_PRINTED 24

/* A frame of the capture machinery outside mdlkit: a system library (libc,
 * a shared sanitizer runtime) or a sanitizer interceptor linked into the
 * program. */
static int bc_wrapper_frame(const bc_sym *s)
{
    static const char *const prefixes[] = {"__interceptor", "___interceptor", "__sanitizer", "__asan", "__tsan",
                                           "__ubsan", "__msan", "backtrace"};
    if (s->system)
        return 1;
    for (size_t i = 0; i < MK_ARRAY_SIZE(prefixes); i++)
        if (strncmp(s->func, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* The first frame to show of a resolved stack, or -1: the first frame
 * outside mdlkit (preferring one with line information). */
static int bc_first_user_frame(const bc_sym *syms, int n)
{
    int first = -1, any_external = -1, start = 0, first_system = -1;
    /* A capture starts inside mdlkit, or (a DDI that tail-called the hook
     * that captured) at the driver's own frame; frames before either are
     * the capture's wrappers (backtrace() interceptors of a sanitizer
     * runtime, in a system library or named so) and are skipped. */
    for (int i = 0; i < n; i++)
        if (bc_internal(&syms[i]) || !bc_wrapper_frame(&syms[i])) {
            start = i;
            break;
        }
    /* The first frame of the program itself (not a system library such as
     * libc or a sanitizer runtime), with or without line information. */
    for (int i = start; i < n; i++) {
        if (!bc_internal(&syms[i])) {
            if (syms[i].system) {
                if (first_system < 0)
                    first_system = i;
                continue;
            }
            if (any_external < 0)
                any_external = i;
            if (first < 0 && syms[i].file[0])
                first = i;
        }
    }
    (void)first;
    return any_external >= 0 ? any_external : first_system;
}

int mk_stack_format(void *const *pcs, int n, char **lines, int max)
{
    bc_sym syms[MK_STACK_FORMAT_MAX];
    if (n > MK_STACK_FORMAT_MAX)
        n = MK_STACK_FORMAT_MAX;
    for (int i = 0; i < n; i++)
        bc_resolve(pcs[i], &syms[i]);
    int first = bc_first_user_frame(syms, n), out = 0;
    for (int i = first < 0 ? n : first; i < n && out < max; i++) {
        if (bc_internal(&syms[i]))
            continue;
        bc_format(&syms[i], lines[out++], MK_STACK_LINE);
        if (strcmp(syms[i].func, "main") == 0 || strncmp(syms[i].func, "main+", 5) == 0)
            break;
    }
    return out;
}

/* 1 if the missing line information of `module` was already pointed out
 * (once per module and process), else remembers it and returns 0. Under
 * bc_print_lock. */
static int bc_noted_no_lines(const char *module)
{
    static char noted[8][128];
    static int nnoted;
    for (int i = 0; i < nnoted; i++)
        if (strcmp(noted[i], module) == 0)
            return 1;
    if (nnoted < 8)
        bc_copy(noted[nnoted++], sizeof noted[0], module);
    return 0;
}

static void bc_print_stack(FILE *out, void **pcs, int n)
{
    static bc_sym syms[BC_MAX_FRAMES]; /* under bc_print_lock */
    for (int i = 0; i < n; i++)
        bc_resolve(pcs[i], &syms[i]);
    int first = bc_first_user_frame(syms, n);
    fprintf(out, "  Stack of the offending call (innermost first; mdlkit's own frames left out):\n");
    if (first < 0) {
        fprintf(out, "    (no frame outside mdlkit could be found)\n");
        return;
    }
    int printed = 0;
    const char *no_lines = NULL;
    for (int i = first; i < n && printed < BC_MAX_PRINTED; i++) {
        if (bc_internal(&syms[i]))
            continue;
        char line[600];
        bc_format(&syms[i], line, sizeof line);
        fprintf(out, "    #%-2d %p %s\n", printed, pcs[i], line);
        printed++;
        if (syms[i].no_lines && !no_lines)
            no_lines = syms[i].module;
        if (strcmp(syms[i].func, "main") == 0 || strncmp(syms[i].func, "main+", 5) == 0)
            break;
    }
    if (no_lines && !bc_noted_no_lines(no_lines))
        fprintf(out,
                "  (%s has no line information: its frames show function+offset. Build the driver and the test "
                "with -g for file:line.)\n",
                no_lines);
}

/* The first "0x..." token of a note line (its address), or 0. */
static unsigned long bc_note_addr(const char *line, int len)
{
    for (int i = 0; i + 2 < len; i++)
        if (line[i] == '0' && line[i + 1] == 'x' && (i == 0 || line[i - 1] == ' '))
            return strtoul(line + i + 2, NULL, 16);
    return 0;
}

/* The notes, one per line. Two layers may list the same leaked resource
 * (a port layer's one-line note, then Pool Tracking's record of it with the
 * allocating stack): a line naming the same address as the line right
 * before it is that record's header, left out -- its stack lines follow
 * the first line -- so each leak is listed once. */
static void bc_print_notes(FILE *out, const char *indent)
{
    const char *p = bc_notes;
    unsigned long prev = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        unsigned long addr = bc_note_addr(p, len);
        if (!(addr && addr == prev))
            fprintf(out, "%s%.*s\n", indent, len, p);
        prev = addr;
        p += len + (nl ? 1 : 0);
    }
}

static void bc_report(FILE *out, const mdlkit_bugcheck *bc, void **pcs, int npcs)
{
    const char *name = mdlkit_bugcheck_name(bc->code);
    fprintf(out,
            "\n*******************************************************************************\n"
            "mdlkit: BUG CHECK 0x%08X %s\n",
            bc->code, name ? name : "(unknown bug-check code)");
    for (int i = 0; i < 4; i++) {
        fprintf(out, "  Arg%d: %016lx, %s", i + 1, (unsigned long)bc->param[i], mk_bugdesc_param(bc, i));
        if (bc->code == KMODE_EXCEPTION_NOT_HANDLED && i == 0) {
            const char *st = mdlkit_ntstatus_name((NTSTATUS)bc->param[0]);
            if (st)
                fprintf(out, " [%s]", st);
        }
        if (bc->code == DRIVER_VERIFIER_DETECTED_VIOLATION && i == 0) {
            const char *rule = mk_bugdesc_rule_name(bc->param[0]);
            if (rule)
                fprintf(out, " [%s]", rule);
        }
        if (bc->code == DRIVER_VERIFIER_DETECTED_VIOLATION && i == 1 && bc_why && bc->param[1] == (ULONG_PTR)bc_why)
            fprintf(out, ": \"%s\"", bc_why);
        fputc('\n', out);
    }
    fprintf(out, "  What went wrong: %s\n", mk_bugdesc_what(bc));
    if (bc->code == KMODE_EXCEPTION_NOT_HANDLED)
        fprintf(out, "  (Guard the call with __try/__except -- MDLKIT_TRY/MDLKIT_EXCEPT -- where the DDI is documented to raise.)\n");
    bc_print_stack(out, pcs, npcs);
    if (bc_notes_len) {
        fprintf(out, "  Notes:\n");
        bc_print_notes(out, "    ");
    }
    fprintf(out, "*******************************************************************************\n");
    fflush(out);
}

/* ------------------------------------------------------------------------
 * Raising
 * ---------------------------------------------------------------------- */

/* A bug check raised under an absorbing frame (teardown after a caught bug
 * check, mdlkit_reset): one information block instead of the report, not
 * recorded as the last bug check nor given to the verifier, then back to
 * the frame. */
static MK_NORETURN void bc_absorb(struct mk_catch *c, const mdlkit_bugcheck *bc)
{
    atomic_fetch_add(&bc_absorbed, 1);
    if (!mk_rt.cfg.quiet) {
        const char *name = mdlkit_bugcheck_name(bc->code);
        pthread_mutex_lock(&bc_print_lock);
        fprintf(stderr,
                "mdlkit: teardown after a caught bug check: BUG CHECK 0x%08X %s (%lx, %lx, %lx, %lx) recorded as "
                "information, not raised:\n  %s\n",
                bc->code, name ? name : "(unknown bug-check code)", (unsigned long)bc->param[0],
                (unsigned long)bc->param[1], (unsigned long)bc->param[2], (unsigned long)bc->param[3],
                mk_bugdesc_what(bc));
        if (bc_notes_len)
            bc_print_notes(stderr, "    ");
        fflush(stderr);
        pthread_mutex_unlock(&bc_print_lock);
    }
    bc_notes_clear();
    bc_why = NULL;
    bc_depth = 0;
    c->bc = *bc;
    longjmp(c->jb, 1);
}

static MK_NORETURN void bc_raise(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4)
{
    mdlkit_bugcheck bc = {code, {p1, p2, p3, p4}};
    if (bc_depth++ > 0) {
        fprintf(stderr,
                "mdlkit: bug check 0x%08X (%lx, %lx, %lx, %lx) raised while a bug check was being raised on "
                "this thread; aborting\n",
                code, (unsigned long)p1, (unsigned long)p2, (unsigned long)p3, (unsigned long)p4);
        fflush(stderr);
        abort();
    }
    struct mk_catch *c = mk_self.catch_top;
    int caught = c != NULL;
    int up = atomic_load_explicit(&mk_rt.up, memory_order_relaxed);
    if (caught && c == bc_absorb_top) {
        bc_absorb(c, &bc);
        /* not reached */
    }
    if (!(caught && up && mk_rt.cfg.quiet)) {
        void *pcs[BC_MAX_FRAMES];
        int n = backtrace(pcs, BC_MAX_FRAMES);
        pthread_mutex_lock(&bc_print_lock);
        bc_report(stderr, &bc, pcs, n);
        pthread_mutex_unlock(&bc_print_lock);
    }
    pthread_mutex_lock(&bc_last_lock);
    bc_last = bc;
    pthread_mutex_unlock(&bc_last_lock);
    bc_notes_clear();
    if (caught && up) {
        unsigned gen = atomic_load(&mk_rt.generation);
        if (atomic_exchange(&bc_crash_gen, gen) != gen) {
            atomic_store(&bc_crash_count, 0);
            atomic_store(&bc_absorbed, 0);
        }
        atomic_fetch_add(&bc_crash_count, 1);
    }
    if (up)
        mk_verifier_on_bugcheck(&bc, caught);
    bc_why = NULL;
    bc_depth = 0;
    if (caught) {
        c->bc = bc;
        longjmp(c->jb, 1);
    }
    fprintf(stderr, "mdlkit: the bug check was not caught (mdlkit_catch_bugcheck); stopping the process.\n");
    fflush(stderr);
    abort();
}

MK_NOINLINE void mk_bugcheck(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4)
{
    bc_raise(code, p1, p2, p3, p4);
}

MK_NOINLINE void mk_irql_fail(const void *routine, void *caller)
{
    bc_raise(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)routine, mk_irql(), 0, (ULONG_PTR)caller);
}

MK_NOINLINE void mk_violation(ULONG rule, const char *why, ULONG_PTR p3, ULONG_PTR p4)
{
    if (bc_depth == 0)
        bc_why = why;
    bc_raise(DRIVER_VERIFIER_DETECTED_VIOLATION, rule, (ULONG_PTR)why, p3, p4);
}

MK_NOINLINE void KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2,
                              ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4)
{
    MK_ENTER("KeBugCheckEx");
    mk_thread_attach();
    bc_raise(BugCheckCode, BugCheckParameter1, BugCheckParameter2, BugCheckParameter3, BugCheckParameter4);
}

MK_NOINLINE void KeBugCheck(ULONG BugCheckCode)
{
    MK_ENTER("KeBugCheck");
    mk_thread_attach();
    bc_raise(BugCheckCode, 0, 0, 0, 0);
}

/* ------------------------------------------------------------------------
 * Catching (harness API)
 * ---------------------------------------------------------------------- */
static int bc_catch(void (*fn)(void *arg), void *arg, mdlkit_bugcheck *out, int absorb)
{
    struct mk_catch c;
    memset(&c, 0, sizeof c);
    c.prev = mk_self.catch_top;
    c.irql = mk_self.irql;
    c.spinlocks_held = mk_self.spinlocks_held;
    c.seh = mk_self.seh_top;
    c.driver = mk_self.driver;
    c.user_process = mk_self.user_process;
    c.io_manager = mk_self.io_manager;
    struct mk_catch *absorb_prev = bc_absorb_top;
    mk_self.catch_top = &c;
    if (absorb)
        bc_absorb_top = &c;
    if (setjmp(c.jb) == 0) {
        fn(arg);
        mk_self.catch_top = c.prev;
        bc_absorb_top = absorb_prev;
        return 0;
    }
    /* Caught: put the thread back as it was when the catch began. */
    mk_self.catch_top = c.prev;
    bc_absorb_top = absorb_prev;
    mk_self.irql = c.irql;
    mk_self.spinlocks_held = c.spinlocks_held;
    mk_self.seh_top = c.seh;
    mk_self.driver = c.driver;
    mk_self.user_process = c.user_process;
    mk_self.io_manager = c.io_manager;
    if (out)
        *out = c.bc;
    return 1;
}

int mdlkit_catch_bugcheck(void (*fn)(void *arg), void *arg, mdlkit_bugcheck *out)
{
    MK_ENTER("mdlkit_catch_bugcheck");
    if (MK_UNLIKELY(!fn)) {
        mk_harness_bad_argument("mdlkit_catch_bugcheck", "fn is NULL (nothing to run)");
        return -1;
    }
    /* (a wild fn faults fetching its first instruction: 0x50, P2 2 =
     * execute, caught by this frame -- src/machine/fault.c) */
    mk_thread_attach();
    return bc_catch(fn, arg, out, 0);
}

int mk_crashed(void)
{
    unsigned gen = atomic_load(&bc_crash_gen);
    return gen != 0 && gen == atomic_load(&mk_rt.generation);
}

int mdlkit_is_crashed(void) { return atomic_load(&mk_rt.up) && mk_crashed(); }

int mk_cleanup_call(void (*fn)(void *arg), void *arg)
{
    if (!mk_crashed() || mk_self.catch_top) { /* a frame of the caller's (or an absorbing one) decides */
        fn(arg);
        return 0;
    }
    return bc_catch(fn, arg, NULL, 1);
}

int mk_teardown_step(void (*fn)(void *arg), void *arg)
{
    /* Each attempt that bug checks has moved past what it reported (the
     * leak checks forget what they listed); a step that keeps raising is
     * given up after a bounded number of attempts (the machine's own
     * shutdown releases its memory whatever the layers still hold). */
    for (int attempt = 0; attempt < 64; attempt++)
        if (!bc_catch(fn, arg, NULL, 1))
            return 0;
    return -1;
}

void mk_crash_mark(void)
{
    unsigned gen = atomic_load(&mk_rt.generation);
    if (atomic_exchange(&bc_crash_gen, gen) != gen) {
        atomic_store(&bc_crash_count, 0);
        atomic_store(&bc_absorbed, 0);
    }
}

unsigned mk_crash_absorbed(void) { return mk_crashed() ? atomic_load(&bc_absorbed) : 0; }

mdlkit_bugcheck mdlkit_last_bugcheck(void)
{
    pthread_mutex_lock(&bc_last_lock);
    mdlkit_bugcheck bc = bc_last;
    pthread_mutex_unlock(&bc_last_lock);
    return bc;
}

/* backtrace() loads its unwinder on first use; do that now, not inside a
 * signal handler. */
__attribute__((constructor)) static void bc_preload_unwinder(void)
{
    void *pcs[2];
    (void)backtrace(pcs, 2);
}
