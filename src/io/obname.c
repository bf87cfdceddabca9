/*
 * obname.c -- the part of the object namespace the I/O manager uses: named
 * device objects ("\Device\X") and symbolic links ("\DosDevices\X", which
 * is "\??\X", which is "\GLOBAL??\X" in a session-less machine), with
 * IoCreateSymbolicLink, IoCreateUnprotectedSymbolicLink and
 * IoDeleteSymbolicLink.
 *
 * Names compare case-insensitively (ASCII letters), as object names do
 * under OBJ_CASE_INSENSITIVE. Links may dangle: they are resolved when a
 * name is opened, as the object manager's reparse does.
 */
#include "mk_machine.h"
#include "mk_io.h"
#include "mk_mdl.h"
#include "mk_hooks.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define OBN_RULE_IRQL_IO_PASSIVE3 0x0002000CUL /* IrqlIoPassive3: IoCreateSymbolicLink */
#define OBN_RULE_IRQL_IO_PASSIVE4 0x0002000DUL /* IrqlIoPassive4: IoCreateUnprotectedSymbolicLink, IoDeleteSymbolicLink */
#define OBN_MAX_LINK_DEPTH 32                  /* reparse limit (the object manager's is 32 too) */

typedef struct obn_entry {
    WCHAR *name;
    size_t len; /* characters */
    PDEVICE_OBJECT dev;   /* a device, or NULL for a link */
    WCHAR *target;        /* a link's target (as given) */
    size_t target_len;
    struct obn_entry *next;
} obn_entry;

static pthread_mutex_t obn_lock = PTHREAD_MUTEX_INITIALIZER;
static obn_entry *obn_all;

static WCHAR obn_fold(WCHAR c) { return (c >= 'a' && c <= 'z') ? (WCHAR)(c - 'a' + 'A') : c; }

static bool obn_prefix(const WCHAR *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (obn_fold(s[i]) != obn_fold((WCHAR)(unsigned char)p[i]))
            return false;
    return true;
}

static bool obn_equal(const WCHAR *a, size_t alen, const WCHAR *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (obn_fold(a[i]) != obn_fold(b[i]))
            return false;
    return true;
}

NTSTATUS mk_obname_canon(const WCHAR *name, size_t len, WCHAR *out, size_t *out_len)
{
    static const char *const aliases[] = {"\\DosDevices\\", "\\??\\"};
    static const char global[] = "\\GLOBAL??\\";
    if (!name || len == 0)
        return STATUS_OBJECT_NAME_INVALID;
    if (name[0] != '\\')
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    size_t skip = 0;
    for (size_t i = 0; i < MK_ARRAY_SIZE(aliases); i++)
        if (obn_prefix(name, len, aliases[i])) {
            skip = strlen(aliases[i]);
            break;
        }
    size_t n = 0;
    if (skip) {
        for (const char *p = global; *p; p++)
            out[n++] = (WCHAR)*p;
    }
    if (n + (len - skip) >= MK_NAME_MAX)
        return STATUS_OBJECT_NAME_INVALID;
    for (size_t i = skip; i < len; i++) {
        if (name[i] == 0)
            return STATUS_OBJECT_NAME_INVALID;
        /* an empty component ("\\Device\\\\X", or a trailing '\') is not a name */
        if (name[i] == '\\' && (i + 1 == len || name[i + 1] == '\\'))
            return STATUS_OBJECT_NAME_INVALID;
        out[n++] = name[i];
    }
    if (n < 2)
        return STATUS_OBJECT_NAME_INVALID;
    out[n] = 0;
    *out_len = n;
    return STATUS_SUCCESS;
}

/* The entry named exactly `name`, with obn_lock held. */
static obn_entry *obn_find(const WCHAR *name, size_t len)
{
    for (obn_entry *e = obn_all; e; e = e->next)
        if (obn_equal(e->name, e->len, name, len))
            return e;
    return NULL;
}

/* The entry whose name is `name` or a prefix of it ending at a '\'. */
static obn_entry *obn_find_prefix(const WCHAR *name, size_t len, size_t *matched)
{
    obn_entry *best = NULL;
    for (obn_entry *e = obn_all; e; e = e->next)
        if (e->len <= len && (e->len == len || name[e->len] == '\\') && obn_equal(e->name, e->len, name, e->len) &&
            (!best || e->len > best->len))
            best = e;
    if (best)
        *matched = best->len;
    return best;
}

static WCHAR *obn_dup(const WCHAR *s, size_t len)
{
    WCHAR *d = malloc((len + 1) * sizeof(WCHAR));
    if (d) {
        memcpy(d, s, len * sizeof(WCHAR));
        d[len] = 0;
    }
    return d;
}

static NTSTATUS obn_insert(const WCHAR *name, size_t len, PDEVICE_OBJECT dev, const WCHAR *target, size_t tlen)
{
    obn_entry *e = calloc(1, sizeof *e);
    if (!e)
        return STATUS_INSUFFICIENT_RESOURCES;
    e->name = obn_dup(name, len);
    e->target = target ? obn_dup(target, tlen) : NULL;
    if (!e->name || (target && !e->target)) {
        free(e->name);
        free(e->target);
        free(e);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    e->len = len;
    e->dev = dev;
    e->target_len = tlen;
    pthread_mutex_lock(&obn_lock);
    if (obn_find(name, len)) {
        pthread_mutex_unlock(&obn_lock);
        free(e->name);
        free(e->target);
        free(e);
        return STATUS_OBJECT_NAME_COLLISION;
    }
    e->next = obn_all;
    obn_all = e;
    pthread_mutex_unlock(&obn_lock);
    return STATUS_SUCCESS;
}

static void obn_free(obn_entry *e)
{
    free(e->name);
    free(e->target);
    free(e);
}

NTSTATUS mk_obname_insert_device(const WCHAR *name, size_t len, PDEVICE_OBJECT dev)
{
    return obn_insert(name, len, dev, NULL, 0);
}

void mk_obname_remove_device(PDEVICE_OBJECT dev)
{
    pthread_mutex_lock(&obn_lock);
    for (obn_entry **pp = &obn_all; *pp; pp = &(*pp)->next)
        if ((*pp)->dev == dev) {
            obn_entry *e = *pp;
            *pp = e->next;
            pthread_mutex_unlock(&obn_lock);
            obn_free(e);
            return;
        }
    pthread_mutex_unlock(&obn_lock);
}

NTSTATUS mk_obname_open_device(const WCHAR *name, size_t len, PDEVICE_OBJECT *dev, WCHAR *rest, size_t *rest_len)
{
    WCHAR cur[MK_NAME_MAX], next[MK_NAME_MAX];
    size_t n = 0;
    NTSTATUS st = mk_obname_canon(name, len, cur, &n);
    if (!NT_SUCCESS(st))
        return st;
    *dev = NULL;
    *rest_len = 0;
    pthread_mutex_lock(&obn_lock);
    for (int depth = 0; depth <= OBN_MAX_LINK_DEPTH; depth++) {
        size_t m = 0;
        obn_entry *e = obn_find_prefix(cur, n, &m);
        if (!e) {
            pthread_mutex_unlock(&obn_lock);
            /* a prefix that is a known directory names a missing object; else the path is missing */
            return (obn_prefix(cur, n, "\\Device\\") || obn_prefix(cur, n, "\\GLOBAL??\\"))
                       ? STATUS_OBJECT_NAME_NOT_FOUND
                       : STATUS_OBJECT_PATH_NOT_FOUND;
        }
        if (e->dev) {
            if (!mk_io_device_valid(e->dev)) {
                pthread_mutex_unlock(&obn_lock);
                return STATUS_OBJECT_NAME_NOT_FOUND;
            }
            mk_io_device_reference(e->dev);
            *dev = e->dev;
            memcpy(rest, cur + m, (n - m) * sizeof(WCHAR));
            rest[n - m] = 0;
            *rest_len = n - m;
            pthread_mutex_unlock(&obn_lock);
            return STATUS_SUCCESS;
        }
        /* a link: its target, then what followed the link's name */
        size_t k = 0;
        WCHAR tmp[MK_NAME_MAX];
        if (e->target_len + (n - m) >= MK_NAME_MAX) {
            pthread_mutex_unlock(&obn_lock);
            return STATUS_OBJECT_NAME_INVALID;
        }
        memcpy(tmp, e->target, e->target_len * sizeof(WCHAR));
        memcpy(tmp + e->target_len, cur + m, (n - m) * sizeof(WCHAR));
        k = e->target_len + (n - m);
        st = mk_obname_canon(tmp, k, next, &n);
        if (!NT_SUCCESS(st)) {
            pthread_mutex_unlock(&obn_lock);
            return STATUS_OBJECT_NAME_NOT_FOUND;
        }
        memcpy(cur, next, (n + 1) * sizeof(WCHAR));
    }
    pthread_mutex_unlock(&obn_lock);
    return STATUS_OBJECT_NAME_NOT_FOUND; /* a loop of links */
}

void mk_obname_reset(void)
{
    pthread_mutex_lock(&obn_lock);
    obn_entry *e = obn_all;
    obn_all = NULL;
    pthread_mutex_unlock(&obn_lock);
    while (e) {
        obn_entry *next = e->next;
        obn_free(e);
        e = next;
    }
}

static NTSTATUS obn_unicode(PUNICODE_STRING s, const WCHAR **buf, size_t *len)
{
    if (!s || (s->Length && !s->Buffer) || (s->Length & 1) || s->Length > s->MaximumLength)
        return STATUS_OBJECT_NAME_INVALID;
    *buf = s->Buffer;
    *len = s->Length / sizeof(WCHAR);
    return STATUS_SUCCESS;
}

static NTSTATUS obn_create_link(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
{
    const WCHAR *lb, *tb;
    size_t ll, tl, cl;
    WCHAR canon[MK_NAME_MAX];
    NTSTATUS st = obn_unicode(SymbolicLinkName, &lb, &ll);
    if (NT_SUCCESS(st))
        st = obn_unicode(DeviceName, &tb, &tl);
    if (NT_SUCCESS(st))
        st = mk_obname_canon(lb, ll, canon, &cl);
    if (NT_SUCCESS(st) && (tl == 0 || tb[0] != '\\'))
        st = STATUS_OBJECT_NAME_INVALID;
    if (!NT_SUCCESS(st))
        return st;
    return obn_insert(canon, cl, NULL, tb, tl);
}

NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
{
    MK_ENTER("IoCreateSymbolicLink");
    mk_ddi_prohibited_check("IoCreateSymbolicLink");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(OBN_RULE_IRQL_IO_PASSIVE3, "IoCreateSymbolicLink must be called at IRQL == PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)SymbolicLinkName);
    if (!SymbolicLinkName || !DeviceName)
        mk_violation(0x16, "IoCreateSymbolicLink: SymbolicLinkName and DeviceName are not optional",
                     (ULONG_PTR)SymbolicLinkName, (ULONG_PTR)DeviceName);
    return obn_create_link(SymbolicLinkName, DeviceName);
}

NTSTATUS IoCreateUnprotectedSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
{
    MK_ENTER("IoCreateUnprotectedSymbolicLink");
    mk_ddi_prohibited_check("IoCreateUnprotectedSymbolicLink");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(OBN_RULE_IRQL_IO_PASSIVE4,
                     "IoCreateUnprotectedSymbolicLink must be called at IRQL == PASSIVE_LEVEL", mk_irql(),
                     (ULONG_PTR)SymbolicLinkName);
    if (!SymbolicLinkName || !DeviceName)
        mk_violation(0x16, "IoCreateUnprotectedSymbolicLink: SymbolicLinkName and DeviceName are not optional",
                     (ULONG_PTR)SymbolicLinkName, (ULONG_PTR)DeviceName);
    return obn_create_link(SymbolicLinkName, DeviceName);
}

NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)
{
    MK_ENTER("IoDeleteSymbolicLink");
    mk_ddi_prohibited_check("IoDeleteSymbolicLink");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(OBN_RULE_IRQL_IO_PASSIVE4, "IoDeleteSymbolicLink must be called at IRQL == PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)SymbolicLinkName);
    if (!SymbolicLinkName)
        mk_violation(0x16, "IoDeleteSymbolicLink: SymbolicLinkName is not optional", 0, 0);
    const WCHAR *lb;
    size_t ll, cl;
    WCHAR canon[MK_NAME_MAX];
    NTSTATUS st = obn_unicode(SymbolicLinkName, &lb, &ll);
    if (NT_SUCCESS(st))
        st = mk_obname_canon(lb, ll, canon, &cl);
    if (!NT_SUCCESS(st))
        return st;
    pthread_mutex_lock(&obn_lock);
    for (obn_entry **pp = &obn_all; *pp; pp = &(*pp)->next)
        if (!(*pp)->dev && obn_equal((*pp)->name, (*pp)->len, canon, cl)) {
            obn_entry *e = *pp;
            *pp = e->next;
            pthread_mutex_unlock(&obn_lock);
            obn_free(e);
            return STATUS_SUCCESS;
        }
    pthread_mutex_unlock(&obn_lock);
    return STATUS_OBJECT_NAME_NOT_FOUND;
}
