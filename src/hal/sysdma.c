/*
 * sysdma.c -- the system (slave) DMA controller of the simulated machine,
 * and its harness side: mdlkit_sysdma_set_device, mdlkit_sysdma_last.
 *
 * Every request line exists. A line moves bytes between simulated physical
 * memory (by physical address, through the direct map) and the device
 * attached to it: a harness callback, or by default a memory sink/source
 * that keeps the bytes of its last transfer to the device and gives them
 * back on a transfer from the device (zeros past their end).
 */
#include "mk_hal.h"
#include "mk_machine.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct sd_line {
    ULONG line;
    mdlkit_sysdma_fn *fn;
    void *ctx;
    unsigned char *last; /* the last transfer to the device */
    ULONG last_len;
    struct sd_line *next;
} sd_line;

static pthread_mutex_t sd_lock = PTHREAD_MUTEX_INITIALIZER;
static sd_line *sd_lines;

/* The line's record (created on first use), sd_lock held. */
static sd_line *sd_get(ULONG line)
{
    for (sd_line *l = sd_lines; l; l = l->next)
        if (l->line == line)
            return l;
    sd_line *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->line = line;
    l->next = sd_lines;
    sd_lines = l;
    return l;
}

/* The direct-map address of [pa, pa+length) if it is RAM, else NULL. */
static unsigned char *sd_map(PHYSICAL_ADDRESS pa, ULONG length)
{
    if (pa.QuadPart < 0 || length == 0)
        return NULL;
    PFN_NUMBER first = (PFN_NUMBER)pa.QuadPart >> PAGE_SHIFT;
    PFN_NUMBER last = (PFN_NUMBER)(pa.QuadPart + length - 1) >> PAGE_SHIFT;
    if (!mk_pfn_is_ram(first) || !mk_pfn_is_ram(last))
        return NULL;
    return (unsigned char *)mk_pfn_to_direct(first) + (pa.QuadPart & (PAGE_SIZE - 1));
}

int mk_sysdma_transfer(ULONG request_line, PHYSICAL_ADDRESS pa, ULONG length, BOOLEAN to_device)
{
    unsigned char *mem = sd_map(pa, length);
    if (!mem)
        return -1;
    pthread_mutex_lock(&sd_lock);
    sd_line *l = sd_get(request_line);
    mdlkit_sysdma_fn *fn = l ? l->fn : NULL;
    void *ctx = l ? l->ctx : NULL;
    if (to_device && l) {
        unsigned char *copy = malloc(length);
        if (copy) {
            memcpy(copy, mem, length);
            free(l->last);
            l->last = copy;
            l->last_len = length;
        }
    } else if (!to_device && !fn) {
        ULONG n = l && l->last_len < length ? l->last_len : (l ? length : 0);
        if (n)
            memcpy(mem, l->last, n);
        memset(mem + n, 0, length - n);
    }
    pthread_mutex_unlock(&sd_lock);
    if (fn) {
        /* the device works on a bounce of the bytes, outside the lock */
        unsigned char *data = malloc(length);
        if (!data)
            return -1;
        memcpy(data, mem, length);
        fn(ctx, request_line, to_device, data, length);
        if (!to_device)
            memcpy(mem, data, length);
        free(data);
    }
    return 0;
}

void mdlkit_sysdma_set_device(ULONG request_line, mdlkit_sysdma_fn *fn, void *ctx)
{
    MK_ENTER("mdlkit_sysdma_set_device");
    pthread_mutex_lock(&sd_lock);
    sd_line *l = sd_get(request_line);
    if (l) {
        l->fn = fn;
        l->ctx = ctx;
    }
    pthread_mutex_unlock(&sd_lock);
}

ULONG mdlkit_sysdma_last(ULONG request_line, void *buf, ULONG len)
{
    MK_ENTER("mdlkit_sysdma_last");
    pthread_mutex_lock(&sd_lock);
    sd_line *l = sd_get(request_line);
    ULONG n = l ? l->last_len : 0;
    if (buf && l && l->last)
        memcpy(buf, l->last, n < len ? n : len);
    pthread_mutex_unlock(&sd_lock);
    return n;
}

void mk_sysdma_reset(void)
{
    pthread_mutex_lock(&sd_lock);
    sd_line *l = sd_lines;
    sd_lines = NULL;
    pthread_mutex_unlock(&sd_lock);
    while (l) {
        sd_line *next = l->next;
        free(l->last);
        free(l);
        l = next;
    }
}
