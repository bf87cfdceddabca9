/*
 * registry.c -- StorPortAllocateRegistryBuffer / FreeRegistryBuffer and
 * StorPortRegistryRead / RegistryWrite. The values live per driver: Global
 * 0 is the adapter's Parameters\Device key, Global 1 the driver's
 * Parameters key (documented); the harness supplies them with
 * mdlkit_storport_set_registry and reads writes back with
 * mdlkit_storport_get_registry. Value names are ASCII, as StorPort takes
 * them; REG_SZ data is kept as the bytes given.
 */
#include "sp.h"

#include <stdlib.h>
#include <string.h>

#define SP_REG_SZ 1
#define SP_REG_BINARY 3
#define SP_REG_DWORD 4
#define SP_REG_TAG 'gRpS'

static mk_sp_regval *sp_reg_find(mk_sp_driver *s, int global, const char *name)
{
    for (mk_sp_regval *v = s->registry; v; v = v->next)
        if (v->global == global && strcmp(v->name, name) == 0)
            return v;
    return NULL;
}

/* Sets (or, data NULL, removes) a value; 0 or -1. Caller holds mk_sp_global. */
static int sp_reg_set(mk_sp_driver *s, int global, const char *name, ULONG type, const void *data, ULONG length)
{
    if (!name || strlen(name) >= sizeof(((mk_sp_regval *)0)->name))
        return -1;
    mk_sp_regval **pp = &s->registry;
    while (*pp && !((*pp)->global == global && strcmp((*pp)->name, name) == 0))
        pp = &(*pp)->next;
    if (!data) {
        if (*pp) {
            mk_sp_regval *v = *pp;
            *pp = v->next;
            free(v->data);
            free(v);
        }
        return 0;
    }
    UCHAR *copy = malloc(length ? length : 1);
    if (!copy)
        return -1;
    memcpy(copy, data, length);
    mk_sp_regval *v = *pp;
    if (!v) {
        v = calloc(1, sizeof *v);
        if (!v) {
            free(copy);
            return -1;
        }
        v->global = global;
        strcpy(v->name, name);
        *pp = v;
    }
    free(v->data);
    v->data = copy;
    v->type = type;
    v->length = length;
    return 0;
}

void mk_sp_registry_free(mk_sp_driver *s)
{
    while (s->registry) {
        mk_sp_regval *v = s->registry;
        s->registry = v->next;
        free(v->data);
        free(v);
    }
}

int mdlkit_storport_set_registry(PDRIVER_OBJECT driver, int global, const char *name, ULONG type, const void *data,
                                 ULONG length)
{
    MK_ENTER("mdlkit_storport_set_registry");
    mk_driver *d = mk_driver_from_object(driver);
    if (!d || d->model != MK_MODEL_STORPORT || !d->port || (global != 0 && global != 1))
        return -1;
    if (data && type != SP_REG_SZ && type != SP_REG_BINARY && type != SP_REG_DWORD)
        return -1;
    if (data && type == SP_REG_DWORD && length != 4)
        return -1;
    pthread_mutex_lock(&mk_sp_global);
    int rc = sp_reg_set(d->port, global, name, type, data, length);
    pthread_mutex_unlock(&mk_sp_global);
    return rc;
}

int mdlkit_storport_get_registry(PDRIVER_OBJECT driver, int global, const char *name, ULONG *type, void *data,
                                 ULONG length)
{
    MK_ENTER("mdlkit_storport_get_registry");
    mk_driver *d = mk_driver_from_object(driver);
    if (!d || d->model != MK_MODEL_STORPORT || !d->port || !name)
        return -1;
    pthread_mutex_lock(&mk_sp_global);
    mk_sp_regval *v = sp_reg_find(d->port, global, name);
    int n = -1;
    if (v) {
        n = (int)(v->length < length ? v->length : length);
        if (data && n)
            memcpy(data, v->data, (size_t)n);
        if (type)
            *type = v->type;
    }
    pthread_mutex_unlock(&mk_sp_global);
    return n;
}

PVOID StorPortAllocateRegistryBuffer(PVOID HwDeviceExtension, PULONG Length)
{
    MK_ENTER("StorPortAllocateRegistryBuffer");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (!Length || !*Length)
        return NULL;
    if (mk_irql() > DISPATCH_LEVEL) {
        if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
            mk_violation(MDLKIT_RULE_STORPORT_IRQL, "StorPortAllocateRegistryBuffer above DISPATCH_LEVEL",
                         mk_irql(), 0);
        return NULL;
    }
    void *caller = __builtin_return_address(0);
    mk_port_begin();
    PVOID p = mk_ex_allocate(mk_sp_nonpaged_type(), *Length, SP_REG_TAG, NormalPoolPriority, 1, caller);
    mk_port_end();
    PHYSICAL_ADDRESS none = {0};
    if (p && !mk_port_track_add(MK_PT_STOR_POOL, p, *Length, SP_REG_TAG, a->ext, caller, none, TRUE)) {
        mk_ex_free(p, SP_REG_TAG, caller);
        p = NULL;
    }
    return p;
}

void StorPortFreeRegistryBuffer(PVOID HwDeviceExtension, PVOID Buffer)
{
    MK_ENTER("StorPortFreeRegistryBuffer");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    mk_port_track c;
    if (!Buffer || !mk_port_track_find(MK_PT_STOR_POOL, Buffer, &c) || c.owner != a->ext || c.tag != SP_REG_TAG)
        mk_violation(MDLKIT_RULE_STORPORT_ALLOCATE_POOL,
                     "StorPortFreeRegistryBuffer was given a buffer StorPortAllocateRegistryBuffer did not return "
                     "for this adapter, or one already freed",
                     (ULONG_PTR)Buffer, (ULONG_PTR)a->ext);
    mk_port_begin();
    mk_ex_free(Buffer, SP_REG_TAG, NULL);
    mk_port_end();
    mk_port_track_remove(MK_PT_STOR_POOL, Buffer);
}

/* The buffer must come from StorPortAllocateRegistryBuffer (documented). */
static int sp_reg_buffer_ok(mk_sp_adapter *a, PUCHAR buf, ULONG len)
{
    mk_port_track c;
    if (!buf || !mk_port_track_find(MK_PT_STOR_POOL, buf, &c) || c.owner != a->ext || c.tag != SP_REG_TAG)
        return 0;
    return len <= c.len;
}

BOOLEAN StorPortRegistryRead(PVOID HwDeviceExtension, PUCHAR ValueName, ULONG Global, ULONG Type, PUCHAR Buffer,
                             PULONG BufferLength)
{
    MK_ENTER("StorPortRegistryRead");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (!ValueName || !BufferLength || !sp_reg_buffer_ok(a, Buffer, *BufferLength))
        return FALSE;
    pthread_mutex_lock(&mk_sp_global);
    mk_sp_regval *v = sp_reg_find(a->spd, Global ? 1 : 0, (const char *)ValueName);
    BOOLEAN ok = FALSE;
    if (v && v->type == Type) {
        if (*BufferLength >= v->length) {
            memcpy(Buffer, v->data, v->length);
            ok = TRUE;
        }
        *BufferLength = v->length; /* the size needed when too small */
    }
    pthread_mutex_unlock(&mk_sp_global);
    return ok;
}

BOOLEAN StorPortRegistryWrite(PVOID HwDeviceExtension, PUCHAR ValueName, ULONG Global, ULONG Type, PUCHAR Buffer,
                              ULONG BufferLength)
{
    MK_ENTER("StorPortRegistryWrite");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (!ValueName || !sp_reg_buffer_ok(a, Buffer, BufferLength))
        return FALSE;
    if (Type != SP_REG_SZ && Type != SP_REG_BINARY && Type != SP_REG_DWORD)
        return FALSE;
    if (Type == SP_REG_DWORD && BufferLength != 4)
        return FALSE;
    pthread_mutex_lock(&mk_sp_global);
    int rc = sp_reg_set(a->spd, Global ? 1 : 0, (const char *)ValueName, Type, Buffer, BufferLength);
    pthread_mutex_unlock(&mk_sp_global);
    return rc == 0;
}
