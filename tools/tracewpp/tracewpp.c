/*
 * mdlkit-tracewpp -- writes the .tmh files of WPP-traced driver sources so
 * that they build unmodified against mdlkit, used like Microsoft's tracewpp:
 *
 *   mdlkit-tracewpp [-scan:HEADER]... [-func:SPEC]... -odir:DIR SOURCE...
 *
 * For each SOURCE it writes DIR/<source base name>.tmh. The trace
 * functions are DoTraceMessage(LEVEL,MSG,...), every -func:SPEC (as
 * "TraceEvents(LEVEL,FLAGS,MSG,...)" or "Trace{FLAG=X}(LEVEL,MSG,...)"),
 * and every FUNC line of the "begin_wpp config" ... "end_wpp" comment
 * blocks in the scanned headers and in the source; USEPREFIX and USESUFFIX
 * lines there give a function's prefix and suffix.
 *
 * As tracewpp does, each call of a trace function in the source gets a
 * macro of its own (keyed by its line), written with the call's own
 * condition tokens, so that WPP_<CONDITIONS>_ENABLED and the WPP_BIT_<flag>
 * names see them even where a level or flag name is also a macro. The .tmh
 * turns WPP_CONTROL_GUIDS into the WPP_BIT_* numbers and control blocks
 * (WPP_MAIN_CB), defines WPP_INIT_TRACING / WPP_CLEANUP and the default
 * WPP_LEVEL_ENABLED & co., and sends each enabled message to DbgPrintEx
 * (mdlkit_wpp_trace: component MDLKIT_WPP_COMPONENT, default
 * DPFLTR_IHVDRIVER_ID; the level is the call's TRACE_LEVEL_* value when
 * it has a level and a flag, or when its flag is named TRACE_LEVEL_*, else
 * the flag's bit as a DbgPrintEx mask bit).
 *
 * Options of Microsoft's tool that have no meaning here (-km, -dll, -gen:,
 * -cfgdir:, -ext:, -p:, -preserveext:, -v, ...) are accepted and ignored.
 * Exit status: 0, or 1 with a message (unreadable file, bad -func, no
 * -odir, nothing to do).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 16

typedef struct func_spec {
    char *name;
    int nfixed;
    char *fixed_name[MAX_ARGS], *fixed_value[MAX_ARGS];
    int nargs;            /* condition arguments before MSG */
    char *arg[MAX_ARGS];  /* their names (LEVEL, FLAGS, ...) */
    int has_msg, has_varargs; /* MSG and "..." among the arguments */
    int defined;              /* a FUNC line or -func seen (not only a USEPREFIX) */
    char *prefix, *suffix; /* C string literal text (with quotes), or NULL */
} func_spec;

static func_spec *funcs;
static int nfuncs;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mdlkit-tracewpp: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* Every string the tool keeps lives until exit; the table keeps them
 * reachable (a short-lived tool: nothing is worth freeing piecemeal). */
static char **xs_all;
static size_t xs_n, xs_cap;

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        die("out of memory");
    memcpy(p, s, n);
    p[n] = 0;
    if (xs_n == xs_cap) {
        xs_cap = xs_cap ? 2 * xs_cap : 256;
        xs_all = realloc(xs_all, xs_cap * sizeof *xs_all);
        if (!xs_all)
            die("out of memory");
    }
    xs_all[xs_n++] = p;
    return p;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot read %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf)
        die("out of memory");
    buf[n] = 0;
    return buf;
}

static func_spec *find_func(const char *name)
{
    for (int i = 0; i < nfuncs; i++)
        if (strcmp(funcs[i].name, name) == 0)
            return &funcs[i];
    return NULL;
}

/* "Name{A=B,...}(X,Y,MSG,...)" -> a func_spec (replacing one of that name). */
static int parse_func(const char *spec_in, const char *where)
{
    char *spec = xstrndup(spec_in, strlen(spec_in));
    char *s = trim(spec);
    size_t n = strlen(s);
    if (n && s[n - 1] == ';')
        s[--n] = 0;
    func_spec f;
    memset(&f, 0, sizeof f);
    size_t i = 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '_')
        i++;
    if (i == 0)
        goto bad;
    f.name = xstrndup(s, i);
    while (isspace((unsigned char)s[i]))
        i++;
    if (s[i] == '{') {
        char *end = strchr(s + i, '}');
        if (!end)
            goto bad;
        char *list = xstrndup(s + i + 1, (size_t)(end - s - i - 1));
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            char *eq = strchr(tok, '=');
            if (!eq || f.nfixed == MAX_ARGS)
                goto bad;
            *eq = 0;
            f.fixed_name[f.nfixed] = xstrndup(trim(tok), strlen(trim(tok)));
            f.fixed_value[f.nfixed] = xstrndup(trim(eq + 1), strlen(trim(eq + 1)));
            f.nfixed++;
        }
        free(list);
        i = (size_t)(end - s) + 1;
        while (isspace((unsigned char)s[i]))
            i++;
    }
    if (s[i] != '(')
        goto bad;
    char *close = strrchr(s + i, ')');
    if (!close)
        goto bad;
    char *list = xstrndup(s + i + 1, (size_t)(close - s - i - 1));
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        char *t = trim(tok);
        if (strcmp(t, "MSG") == 0)
            f.has_msg = 1;
        else if (strcmp(t, "...") == 0)
            f.has_varargs = 1;
        else if (!f.has_msg && f.nargs < MAX_ARGS)
            f.arg[f.nargs++] = xstrndup(t, strlen(t));
    }
    free(list);
    /* A function without MSG (FuncEntry{LEVEL=...}(FLAGS)) traces its
     * prefix and suffix only. */
    f.defined = 1;
    func_spec *old = find_func(f.name);
    if (old) {
        f.prefix = old->prefix;
        f.suffix = old->suffix;
        *old = f;
    } else {
        funcs = realloc(funcs, sizeof(func_spec) * (size_t)(nfuncs + 1));
        funcs[nfuncs++] = f;
    }
    free(spec);
    return 0;
bad:
    free(spec);
    fprintf(stderr, "mdlkit-tracewpp: %s: cannot read the function spec \"%s\"\n", where, spec_in);
    return -1;
}

/* USEPREFIX (Name, "text"); / USESUFFIX (Name, "text"); */
static void parse_fix(char *s, int suffix, const char *where)
{
    char *open = strchr(s, '('), *comma = open ? strchr(open, ',') : NULL, *close = strrchr(s, ')');
    if (!open || !comma || !close || close < comma) {
        fprintf(stderr, "mdlkit-tracewpp: %s: cannot read \"%s\"\n", where, s);
        return;
    }
    char *raw = xstrndup(open + 1, (size_t)(comma - open - 1));
    char *name = trim(raw);
    char *raw_text = xstrndup(comma + 1, (size_t)(close - comma - 1));
    char *text = xstrndup(trim(raw_text), strlen(trim(raw_text)));
    free(raw_text);
    func_spec *f = find_func(name);
    if (!f) {
        /* a prefix may come before its FUNC line: keep it on a placeholder */
        funcs = realloc(funcs, sizeof(func_spec) * (size_t)(nfuncs + 1));
        memset(&funcs[nfuncs], 0, sizeof(func_spec));
        funcs[nfuncs].name = xstrndup(name, strlen(name));
        f = &funcs[nfuncs++];
    }
    free(raw);
    if (suffix)
        f->suffix = text;
    else
        f->prefix = text;
}

/* The "begin_wpp config" ... "end_wpp" blocks of a file. */
static void scan_config(const char *text, const char *path)
{
    const char *p = text;
    while ((p = strstr(p, "begin_wpp config")) != NULL) {
        const char *end = strstr(p, "end_wpp");
        if (!end)
            end = p + strlen(p);
        const char *line = strchr(p, '\n');
        while (line && line < end) {
            line++;
            const char *eol = strchr(line, '\n');
            if (!eol || eol > end)
                eol = end;
            char *l = xstrndup(line, (size_t)(eol - line));
            char *t = trim(l);
            while (*t == '/' || *t == '*')
                t++;
            t = trim(t);
            if (strncmp(t, "FUNC ", 5) == 0 || strncmp(t, "FUNC\t", 5) == 0)
                parse_func(t + 5, path);
            else if (strncmp(t, "USEPREFIX", 9) == 0)
                parse_fix(t + 9, 0, path);
            else if (strncmp(t, "USESUFFIX", 9) == 0)
                parse_fix(t + 9, 1, path);
            free(l);
            line = eol < end ? eol : NULL;
        }
        p = end;
    }
}

/* ---- finding the calls in a source ---- */
typedef struct call_site {
    func_spec *f;
    int line, end_line;
    int nargs;
    char *arg[MAX_ARGS + 2];
} call_site;

static int is_ident(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

/* Skips a comment, string or character literal at p; returns the first
 * character after it (p if none starts there), counting lines. */
static const char *skip_lexeme(const char *p, int *line)
{
    if (p[0] == '/' && p[1] == '/') {
        while (*p && *p != '\n')
            p++;
        return p;
    }
    if (p[0] == '/' && p[1] == '*') {
        p += 2;
        while (*p && !(p[0] == '*' && p[1] == '/')) {
            if (*p == '\n')
                (*line)++;
            p++;
        }
        return *p ? p + 2 : p;
    }
    if (*p == '"' || *p == '\'') {
        char q = *p++;
        while (*p && *p != q) {
            if (*p == '\\' && p[1])
                p++;
            if (*p == '\n')
                (*line)++;
            p++;
        }
        return *p ? p + 1 : p;
    }
    return p;
}

static call_site *find_calls(const char *text, int *ncalls)
{
    call_site *calls = NULL;
    int n = 0, line = 1;
    int bol = 1, directive = 0;
    const char *p = text;
    while (*p) {
        const char *q = skip_lexeme(p, &line);
        if (q != p) {
            p = q;
            continue;
        }
        if (*p == '\n') {
            line++;
            if (!(p > text && p[-1] == '\\'))
                directive = 0;
            bol = 1;
            p++;
            continue;
        }
        if (bol && *p == '#')
            directive = 1;
        if (!isspace((unsigned char)*p))
            bol = 0;
        if (!(isalpha((unsigned char)*p) || *p == '_')) {
            p++;
            continue;
        }
        const char *id = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (directive || (id > text && (isalnum((unsigned char)id[-1]) || id[-1] == '_')))
            continue;
        char *name = xstrndup(id, (size_t)(p - id));
        func_spec *f = find_func(name);
        free(name);
        if (!f || !f->defined)
            continue;
        const char *r = p;
        int l2 = line;
        while (isspace((unsigned char)*r)) {
            if (*r == '\n')
                l2++;
            r++;
        }
        if (*r != '(')
            continue;
        /* the arguments, split at top-level commas */
        call_site c;
        memset(&c, 0, sizeof c);
        c.f = f;
        c.line = line;
        int depth = 0;
        const char *arg_start = r + 1;
        r++;
        while (*r) {
            const char *s2 = skip_lexeme(r, &l2);
            if (s2 != r) {
                r = s2;
                continue;
            }
            if (*r == '\n')
                l2++;
            if (*r == '(' || *r == '[' || *r == '{')
                depth++;
            else if ((*r == ')' || *r == ']' || *r == '}') && depth > 0)
                depth--;
            else if ((*r == ',' && depth == 0) || (*r == ')' && depth == 0)) {
                if (c.nargs < MAX_ARGS + 2) {
                    char *a = xstrndup(arg_start, (size_t)(r - arg_start));
                    c.arg[c.nargs++] = xstrndup(trim(a), strlen(trim(a)));
                    free(a);
                }
                arg_start = r + 1;
                if (*r == ')')
                    break;
            }
            r++;
        }
        c.end_line = l2;
        calls = realloc(calls, sizeof(call_site) * (size_t)(n + 1));
        calls[n++] = c;
        p = *r ? r + 1 : r;
        line = l2;
    }
    *ncalls = n;
    return calls;
}

/* ---- writing the .tmh ---- */
static const char prelude[] =
    "#ifndef MDLKIT_WPP_PRELUDE_\n"
    "#define MDLKIT_WPP_PRELUDE_\n"
    "#ifndef WPP_CONTROL_GUIDS\n"
    "#error \"mdlkit-tracewpp: define WPP_CONTROL_GUIDS before including the .tmh\"\n"
    "#endif\n"
    "#ifndef MDLKIT_WPP_COMPONENT\n"
    "#define MDLKIT_WPP_COMPONENT DPFLTR_IHVDRIVER_ID\n"
    "#endif\n"
    "/* control GUIDs: WPP_CTL_<name> = 0, 1, ...; flags: WPP_BIT_<name> = control * 128 + bit */\n"
    "#define WPP_DEFINE_CONTROL_GUID(Name, Guid, Bits) WPP_CTL_##Name,\n"
    "enum { WPP_CONTROL_GUIDS WPP_LAST_CTL };\n"
    "#undef WPP_DEFINE_CONTROL_GUID\n"
    "#define WPP_DEFINE_CONTROL_GUID(Name, Guid, Bits) WPP_BITBASE_##Name = WPP_CTL_##Name * 128 - 1, Bits\n"
    "#define WPP_DEFINE_BIT(Name) WPP_BIT_##Name,\n"
    "enum { WPP_CONTROL_GUIDS WPP_BIT_END_ };\n"
    "#undef WPP_DEFINE_CONTROL_GUID\n"
    "#undef WPP_DEFINE_BIT\n"
    "/* one set of control blocks per program, shared by its .tmh files */\n"
    "__attribute((weak)) mdlkit_wpp_control WPP_MAIN_CB[WPP_LAST_CTL];\n"
    "#define WPP_FLAG_NO(b) ((((ULONG)(b)) & 127) >> 5)\n"
    "#define WPP_MASK(b) (1UL << (((ULONG)(b)) & 31))\n"
    "#define WPP_CONTROL(b) (WPP_MAIN_CB[((ULONG)(b)) >> 7])\n"
    "#define WPP_BIT_IS_ENABLED_(b) ((WPP_CONTROL(b).Flags[WPP_FLAG_NO(b)] & WPP_MASK(b)) != 0)\n"
    "#ifndef WPP_LEVEL_ENABLED\n"
    "#define WPP_LEVEL_ENABLED(f) WPP_BIT_IS_ENABLED_(WPP_BIT_##f)\n"
    "#endif\n"
    "#ifndef WPP_LEVEL_LOGGER\n"
    "#define WPP_LEVEL_LOGGER(f) (&WPP_CONTROL(WPP_BIT_##f))\n"
    "#endif\n"
    "#ifndef WPP_FLAG_ENABLED\n"
    "#define WPP_FLAG_ENABLED(f) WPP_BIT_IS_ENABLED_(WPP_BIT_##f)\n"
    "#endif\n"
    "#ifndef WPP_FLAG_LOGGER\n"
    "#define WPP_FLAG_LOGGER(f) (&WPP_CONTROL(WPP_BIT_##f))\n"
    "#endif\n"
    "#ifndef WPP_FLAGS_ENABLED\n"
    "#define WPP_FLAGS_ENABLED(f) WPP_BIT_IS_ENABLED_(WPP_BIT_##f)\n"
    "#endif\n"
    "#ifndef WPP_FLAGS_LOGGER\n"
    "#define WPP_FLAGS_LOGGER(f) (&WPP_CONTROL(WPP_BIT_##f))\n"
    "#endif\n"
    "#define WPP_INIT_TRACING(...) mdlkit_wpp_init(WPP_MAIN_CB, WPP_LAST_CTL)\n"
    "#define WPP_CLEANUP(...) mdlkit_wpp_cleanup(WPP_MAIN_CB, WPP_LAST_CTL)\n"
    "#define MDLKIT_WPP_CAT2_(a, b) a##b\n"
    "#define MDLKIT_WPP_CAT_(a, b) MDLKIT_WPP_CAT2_(a, b)\n"
    "#endif /* MDLKIT_WPP_PRELUDE_ */\n\n";

/* The call's value of condition `k` (fixed ones first): the call's own
 * token when it is an identifier or a number, else the macro parameter. */
static const char *cond_value(const func_spec *f, const call_site *c, int k, char *param, size_t len)
{
    if (k < f->nfixed)
        return f->fixed_value[k];
    int a = k - f->nfixed;
    if (c && a < c->nargs && (is_ident(c->arg[a]) || isdigit((unsigned char)c->arg[a][0])))
        return c->arg[a];
    snprintf(param, len, "a%d", a);
    return param;
}

static const char *cond_name(const func_spec *f, int k)
{
    return k < f->nfixed ? f->fixed_name[k] : f->arg[k - f->nfixed];
}

/* The call's message as text for the macro body: its string literal(s),
 * without the parentheses some drivers put around it (tracewpp accepts
 * them), on one line; NULL to use the MSG parameter instead. */
static char *msg_text(const func_spec *f, const call_site *c)
{
    if (!c || !f->has_msg || c->nargs <= f->nargs)
        return NULL;
    const char *m = c->arg[f->nargs];
    size_t n = strlen(m);
    while (n >= 2 && m[0] == '(' && m[n - 1] == ')') {
        m++;
        n -= 2;
        while (n && isspace((unsigned char)*m))
            m++, n--;
        while (n && isspace((unsigned char)m[n - 1]))
            n--;
    }
    if (n == 0 || m[0] != '"')
        return NULL;
    char *t = xstrndup(m, n);
    for (char *p = t; *p; p++)
        if (*p == '\n' || *p == '\r' || (*p == '\\' && (p[1] == '\n' || p[1] == '\r')))
            *p = ' ';
    return t;
}

static void emit_call(FILE *out, const func_spec *f, const call_site *c, const char *macro)
{
    int ncond = f->nfixed + f->nargs;
    char p1[16], p2[16];
    fprintf(out, "#define %s(", macro);
    for (int a = 0; a < f->nargs; a++)
        fprintf(out, "%sa%d", a ? ", " : "", a);
    if (f->has_msg)
        fprintf(out, "%sMSG", f->nargs ? ", " : "");
    if (f->has_varargs)
        fprintf(out, "%s...", f->nargs || f->has_msg ? ", " : "");
    fputs(") \\\n    do { \\\n        if (", out);
    /* WPP_<NAMES>_ENABLED(values) */
    fputs("WPP", out);
    for (int k = 0; k < ncond; k++)
        fprintf(out, "_%s", cond_name(f, k));
    fputs("_ENABLED(", out);
    for (int k = 0; k < ncond; k++)
        fprintf(out, "%s%s", k ? ", " : "", cond_value(f, c, k, p1, sizeof p1));
    fputs(")) \\\n            mdlkit_wpp_trace(MDLKIT_WPP_COMPONENT, ", out);
    /* the DbgPrintEx level */
    int lvl = -1, flag = -1;
    for (int k = 0; k < ncond; k++) {
        const char *n = cond_name(f, k);
        if (strcmp(n, "LEVEL") == 0 && lvl < 0)
            lvl = k;
        else if ((strcmp(n, "FLAG") == 0 || strcmp(n, "FLAGS") == 0) && flag < 0)
            flag = k;
    }
    if (lvl >= 0 && flag >= 0) {
        fprintf(out, "mdlkit_wpp_level((ULONG)(%s))", cond_value(f, c, lvl, p2, sizeof p2));
    } else if (ncond == 1 && (lvl == 0 || flag == 0)) {
        /* a flag name alone (DoTraceMessage style): its bit is the level */
        const char *v = f->nfixed ? f->fixed_value[0] : (c && c->nargs > 0 ? c->arg[0] : "");
        if (is_ident(v) && strncmp(v, "TRACE_LEVEL_", 12) == 0)
            fprintf(out, "mdlkit_wpp_level((ULONG)(%s))", v); /* flags named after levels */
        else if (is_ident(v))
            fprintf(out, "MDLKIT_WPP_FLAG_LEVEL(WPP_BIT_%s)", v);
        else
            fputs("DPFLTR_INFO_LEVEL", out);
    } else if (lvl >= 0) {
        fprintf(out, "mdlkit_wpp_level((ULONG)(%s))", cond_value(f, c, lvl, p2, sizeof p2));
    } else {
        fputs("DPFLTR_INFO_LEVEL", out);
    }
    char *text = msg_text(f, c);
    fprintf(out, ", __FILE__, __LINE__, __func__, \"\" %s %s %s%s); \\\n    } while (0)\n", f->prefix ? f->prefix : "",
            text ? text : f->has_msg ? "MSG" : "", f->suffix ? f->suffix : "", f->has_varargs ? ", ##__VA_ARGS__" : "");
    free(text);
}

static void mangle(const char *base, char *out, size_t len)
{
    size_t i = 0;
    for (; base[i] && i + 1 < len; i++)
        out[i] = (isalnum((unsigned char)base[i]) ? base[i] : '_');
    out[i] = 0;
}

static int write_tmh(const char *source, const char *odir)
{
    char *text = read_file(source);
    scan_config(text, source);
    int ncalls;
    call_site *calls = find_calls(text, &ncalls);
    const char *base = strrchr(source, '/');
    base = base ? base + 1 : source;
    char stem[512], id[512], path[4096];
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strrchr(stem, '.');
    if (dot)
        *dot = 0;
    mangle(stem, id, sizeof id);
    snprintf(path, sizeof path, "%s/%s.tmh", odir, stem);
    FILE *out = fopen(path, "w");
    if (!out)
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(out, "/* %s.tmh -- written by mdlkit-tracewpp for %s; do not edit. */\n", stem, base);
    fputs(prelude, out);
    for (int i = 0; i < nfuncs; i++) {
        func_spec *f = &funcs[i];
        if (!f->defined)
            continue;
        fprintf(out, "#undef %s\n#define %s(...) MDLKIT_WPP_CAT_(MDLKIT_WPP_%s_%s_, __LINE__)(__VA_ARGS__)\n", f->name,
                f->name, id, f->name);
    }
    /* one macro per line a call spans (compilers differ on which line
     * __LINE__ names inside a multi-line invocation) */
    int *done_line = NULL, ndone = 0;
    for (int i = 0; i < ncalls; i++) {
        call_site *c = &calls[i];
        if (c->nargs < c->f->nargs + c->f->has_msg) {
            fprintf(stderr, "mdlkit-tracewpp: %s:%d: %s call has too few arguments\n", source, c->line, c->f->name);
            continue;
        }
        for (int l = c->line; l <= c->end_line; l++) {
            int dup = 0;
            for (int k = 0; k < ndone; k += 2)
                if (done_line[k] == l && done_line[k + 1] == (int)(c->f - funcs))
                    dup = 1;
            if (dup) {
                if (l == c->line)
                    fprintf(stderr, "mdlkit-tracewpp: %s:%d: two %s calls on one line; the first one's conditions apply\n",
                            source, l, c->f->name);
                continue;
            }
            done_line = realloc(done_line, sizeof(int) * (size_t)(ndone + 2));
            done_line[ndone++] = l;
            done_line[ndone++] = (int)(c->f - funcs);
            char macro[1024];
            snprintf(macro, sizeof macro, "MDLKIT_WPP_%s_%s_%d", id, c->f->name, l);
            emit_call(out, c->f, c, macro);
        }
    }
    free(done_line);
    if (fclose(out) != 0)
        die("cannot write %s", path);
    for (int i = 0; i < ncalls; i++)
        for (int k = 0; k < calls[i].nargs; k++)
            free(calls[i].arg[k]);
    free(calls);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    const char *odir = NULL;
    const char **sources = calloc((size_t)argc, sizeof(char *));
    const char **scans = calloc((size_t)argc, sizeof(char *));
    int nsources = 0, nscans = 0;
    if (!sources || !scans)
        die("out of memory");
    parse_func("DoTraceMessage(LEVEL,MSG,...)", "default");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-?") == 0) {
            printf("usage: mdlkit-tracewpp [-scan:HEADER]... [-func:SPEC]... -odir:DIR SOURCE...\n");
            return 0;
        }
        if (strncmp(a, "-odir:", 6) == 0)
            odir = a + 6;
        else if (strncmp(a, "-scan:", 6) == 0)
            scans[nscans++] = a + 6;
        else if (strncmp(a, "-func:", 6) == 0) {
            if (parse_func(a + 6, "-func") != 0)
                return 1;
        } else if (a[0] == '-')
            ; /* an option of Microsoft's tool with no meaning here */
        else
            sources[nsources++] = a;
    }
    if (!odir)
        die("no -odir:DIR given");
    if (nsources == 0)
        die("no source files given");
    for (int i = 0; i < nscans; i++) {
        char *t = read_file(scans[i]);
        scan_config(t, scans[i]);
        free(t);
    }
    int saved = nfuncs;
    func_spec *base = malloc(sizeof(func_spec) * (size_t)(saved ? saved : 1));
    if (saved)
        memcpy(base, funcs, sizeof(func_spec) * (size_t)saved);
    for (int i = 0; i < nsources; i++) {
        /* a source's own config blocks apply to it alone */
        nfuncs = saved;
        funcs = realloc(funcs, sizeof(func_spec) * (size_t)(saved ? saved : 1));
        if (saved)
            memcpy(funcs, base, sizeof(func_spec) * (size_t)saved);
        write_tmh(sources[i], odir);
    }
    free(base);
    free(sources);
    free(scans);
    return 0;
}
