/* json.c -- see json.h. Recursive descent, strict JSON (RFC 8259). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s, *p;
    char *err;
    size_t errlen;
    int depth;
} jp;

static void jp_fail(jp *j, const char *what)
{
    if (j->err && !j->err[0]) {
        int line = 1, col = 1;
        for (const char *q = j->s; q < j->p; q++, col++)
            if (*q == '\n') {
                line++;
                col = 0;
            }
        snprintf(j->err, j->errlen, "line %d, column %d: %s", line, col, what);
    }
}

static void jp_ws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static cli_json *jp_new(cli_json_type t)
{
    cli_json *n = calloc(1, sizeof *n);
    if (n)
        n->type = t;
    return n;
}

static void jp_put_utf8(char **o, unsigned cp)
{
    char *d = *o;
    if (cp < 0x80)
        *d++ = (char)cp;
    else if (cp < 0x800) {
        *d++ = (char)(0xC0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *d++ = (char)(0xE0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    }
    *o = d;
}

static char *jp_string(jp *j)
{
    if (*j->p != '"') {
        jp_fail(j, "expected a string");
        return NULL;
    }
    const char *q = ++j->p;
    size_t n = 0;
    while (*q && *q != '"') {
        if (*q == '\\' && q[1])
            q++;
        q++, n++;
    }
    if (*q != '"') {
        jp_fail(j, "unterminated string");
        return NULL;
    }
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out)
        return NULL;
    while (*j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20) {
            jp_fail(j, "control character in string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        c = *j->p++;
        switch (c) {
        case '"': case '\\': case '/': *o++ = c; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
                char h = *j->p++;
                cp <<= 4;
                if (h >= '0' && h <= '9') cp |= (unsigned)(h - '0');
                else if (h >= 'a' && h <= 'f') cp |= (unsigned)(h - 'a' + 10);
                else if (h >= 'A' && h <= 'F') cp |= (unsigned)(h - 'A' + 10);
                else {
                    jp_fail(j, "bad \\u escape");
                    free(out);
                    return NULL;
                }
            }
            jp_put_utf8(&o, cp);
            break;
        }
        default:
            jp_fail(j, "bad escape");
            free(out);
            return NULL;
        }
    }
    j->p++;
    *o = 0;
    return out;
}

static cli_json *jp_value(jp *j);

static cli_json *jp_container(jp *j, int object)
{
    cli_json *n = jp_new(object ? CLI_JSON_OBJECT : CLI_JSON_ARRAY), **tail = &n->child;
    char close = object ? '}' : ']';
    j->p++;
    jp_ws(j);
    if (*j->p == close) {
        j->p++;
        return n;
    }
    for (;;) {
        char *key = NULL;
        jp_ws(j);
        if (object) {
            if (!(key = jp_string(j)))
                goto bad;
            jp_ws(j);
            if (*j->p++ != ':') {
                free(key);
                jp_fail(j, "expected ':'");
                goto bad;
            }
        }
        cli_json *v = jp_value(j);
        if (!v) {
            free(key);
            goto bad;
        }
        v->key = key;
        *tail = v;
        tail = &v->next;
        jp_ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == close) {
            j->p++;
            return n;
        }
        jp_fail(j, object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto bad;
    }
bad:
    cli_json_free(n);
    return NULL;
}

static cli_json *jp_value(jp *j)
{
    jp_ws(j);
    if (++j->depth > 64) {
        jp_fail(j, "nested too deeply");
        return NULL;
    }
    cli_json *n = NULL;
    char c = *j->p;
    if (c == '{' || c == '[')
        n = jp_container(j, c == '{');
    else if (c == '"') {
        char *s = jp_string(j);
        if (s && (n = jp_new(CLI_JSON_STRING)))
            n->string = s;
    } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
        n = jp_new(CLI_JSON_BOOL);
        n->number = c == 't';
        j->p += c == 't' ? 4 : 5;
    } else if (!strncmp(j->p, "null", 4)) {
        n = jp_new(CLI_JSON_NULL);
        j->p += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        double d = strtod(j->p, &end);
        if (end == j->p)
            jp_fail(j, "bad number");
        else {
            n = jp_new(CLI_JSON_NUMBER);
            n->number = d;
            j->p = end;
        }
    } else
        jp_fail(j, "unexpected character");
    j->depth--;
    return n;
}

cli_json *cli_json_parse(const char *text, char *err, size_t errlen)
{
    jp j = {text, text, err, errlen, 0};
    if (err && errlen)
        err[0] = 0;
    cli_json *v = jp_value(&j);
    if (v) {
        jp_ws(&j);
        if (*j.p) {
            jp_fail(&j, "trailing characters after the document");
            cli_json_free(v);
            return NULL;
        }
    }
    return v;
}

void cli_json_free(cli_json *j)
{
    while (j) {
        cli_json *next = j->next;
        cli_json_free(j->child);
        free(j->string);
        free(j->key);
        free(j);
        j = next;
    }
}

const cli_json *cli_json_get(const cli_json *obj, const char *key)
{
    if (!obj || obj->type != CLI_JSON_OBJECT)
        return NULL;
    for (const cli_json *c = obj->child; c; c = c->next)
        if (c->key && !strcmp(c->key, key))
            return c;
    return NULL;
}

double cli_json_num(const cli_json *obj, const char *key, double dflt)
{
    const cli_json *v = cli_json_get(obj, key);
    if (v && (v->type == CLI_JSON_NUMBER || v->type == CLI_JSON_BOOL))
        return v->number;
    if (v && v->type == CLI_JSON_STRING && v->string[0])
        return strtod(v->string, NULL); /* hex strings like "0x62" */
    return dflt;
}

const char *cli_json_str(const cli_json *obj, const char *key, const char *dflt)
{
    const cli_json *v = cli_json_get(obj, key);
    return v && v->type == CLI_JSON_STRING ? v->string : dflt;
}

char *cli_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}
