/*
 * fuzzasan.c -- AddressSanitizer integration of the driver-fuzzing runtime
 * (include/mdlkit_fuzz.h, docs/fuzzing.md "Sanitizers").
 *
 * Pool and MDL mappings live in simulated memory that ASan does not know:
 * without help a driver's overrun of a pool block into its neighbour, an
 * under-run, a read after free or a read past an MDL's bytes in its system
 * mapping goes unnoticed unless special pool is on. When the process runs
 * under ASan (detected at run time: the weak __asan_poison_memory_region is
 * there) the fuzzing runtime puts these hooks in the hook table, in front of
 * the verifier's own (which they call first); without ASan nothing is
 * installed and nothing costs anything.
 *
 *  - Pool: every allocation the verifier does not decide itself (special
 *    pool, an injected fault) is made 32 bytes larger and handed out 16
 *    bytes in: the 16 bytes in front and everything behind it (16 bytes and
 *    the size class's slack) are poisoned (redzones), the block itself
 *    unpoisoned -- so what is detected does not depend on the neighbours. A free poisons the
 *    whole block once the pool has taken it back, so a use after free is
 *    reported until the block is handed out again. The pool's accounting
 *    and Pool Tracking see the larger block (tag bytes include the front
 *    redzone; leaks are listed at the block's start).
 *  - MDL system mappings (with Pool Tracking, which reports each mapping):
 *    the bytes of the mapped pages outside [ByteOffset, ByteOffset +
 *    ByteCount) are poisoned while the mapping lives.
 *
 * ASan then reports the faulting instruction itself, with its stack: an
 * overrun or under-run as heap-buffer-overflow-like "use-after-poison",
 * a use after free likewise.
 *
 * Under Valgrind's memcheck (detected at run time with its client request,
 * RUNNING_ON_VALGRIND, which costs a few instructions and does nothing
 * outside Valgrind) the same hooks mark the same bytes no-access and
 * accessible again through memcheck's client requests, so memcheck reports
 * the faulting instruction as an "Invalid read" / "Invalid write" -- with
 * no rebuild of the driver, the harness or libmdlkit. The hooks need every pool call to reach the
 * hook table, so the runtime starts the machine with the low-resources
 * option (probability 0: only input-chosen faults fail calls).
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_hooks.h"
#include "mk_machine.h"
#include "mk_pool.h"
#include "mk_verifier.h"
#include "fuzz_internal.h"

#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define FA_VALGRIND 1
#endif
#endif
#ifndef FA_VALGRIND
#define FA_VALGRIND 0
#endif

void __asan_poison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));
void __asan_unpoison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));

#define FA_RZ 16u                        /* front redzone */
#define FA_MAGIC 0x6d6b417a6e52447aULL  /* marks a block handed out by this file */
#define FA_FREED 0x6d6b467265656421ULL  /* ... and one given back (until the pool reuses it) */
#define FA_MAPS 4096u                    /* live mappings remembered (power of two) */

/* The front redzone holds where the block came from. */
typedef struct fa_head {
    uint64_t magic; /* FA_MAGIC ^ (uintptr_t)block */
    uint64_t bytes; /* what the caller asked for */
} fa_head;

static int (*fa_prev_alloc)(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller,
                            void **out);
static int (*fa_prev_free)(void *p, ULONG tag, int check_tag, void *caller);
static void (*fa_prev_track)(int kind, const void *addr, size_t size, ULONG tag, const void *aux);
static void (*fa_prev_untrack)(int kind, const void *addr);
static MK_TLS int fa_inner; /* the pool is being called from here */
static int fa_on;

static struct {
    const char *va;
    size_t bytes;
} fa_maps[FA_MAPS];
static pthread_mutex_t fa_maps_lock = PTHREAD_MUTEX_INITIALIZER;

static int fa_asan(void) { return __asan_poison_memory_region != NULL && __asan_unpoison_memory_region != NULL; }

/* Valgrind's memcheck is the checker when ASan is not in the process. */
static int fa_memcheck(void)
{
#if FA_VALGRIND
    return !fa_asan() && RUNNING_ON_VALGRIND;
#else
    return 0;
#endif
}

int mk_fz_asan_present(void) { return fa_asan() || fa_memcheck(); }

static void fa_poison(const void *p, size_t n)
{
    if (!n)
        return;
    if (fa_asan())
        __asan_poison_memory_region(p, n);
#if FA_VALGRIND
    else
        (void)VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
}
static void fa_unpoison(const void *p, size_t n)
{
    if (!n)
        return;
    if (fa_asan())
        __asan_unpoison_memory_region(p, n);
#if FA_VALGRIND
    else
        (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
}

/* The header lies in poisoned memory (`rz`, which is dst or src): copied
 * byte by byte by code ASan does not check (the poisoning stays as it is);
 * under memcheck the bytes are made accessible for the copy and no-access
 * again. */
__attribute__((no_sanitize("address"))) static void fa_copy_raw(void *dst, const void *src, size_t n, const void *rz)
{
#if FA_VALGRIND
    /* memcheck: only bytes that were no-access (a redzone, a freed block)
     * become no-access again; a live neighbour's bytes stay as they were. */
    unsigned char vbits[16];
    int vg = fa_memcheck() && n <= sizeof vbits && VALGRIND_GET_VBITS(rz, vbits, n) == 3;
    if (vg)
        (void)VALGRIND_MAKE_MEM_DEFINED(rz, n);
#endif
    volatile unsigned char *d = dst;
    const volatile unsigned char *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
#if FA_VALGRIND
    if (vg)
        (void)VALGRIND_MAKE_MEM_NOACCESS(rz, n);
#else
    (void)rz;
#endif
}

static void fa_head_set(char *base, void *block, size_t bytes)
{
    fa_head h = {FA_MAGIC ^ (uintptr_t)block, bytes};
    fa_copy_raw(base, &h, sizeof h, base);
    fa_poison(base, FA_RZ);
}

static int fa_head_get(const char *base, const void *block, size_t *bytes)
{
    fa_head h;
    fa_copy_raw(&h, base, sizeof h, base);
    if (h.magic != (FA_MAGIC ^ (uintptr_t)block))
        return 0;
    *bytes = (size_t)h.bytes;
    return 1;
}

static int fa_pool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller, void **out)
{
    if (fa_inner)
        return 0; /* our own call: the pool allocates */
    if (fa_prev_alloc && fa_prev_alloc(heap, bytes, tag, flags, priority, caller, out))
        return 1; /* special pool or an injected failure */
    /* Redzones for blocks the caller sees; mdlkit's own structures and
     * cache-aligned blocks keep their layout (unpoisoned only). */
    int redzone = !(flags & (MK_POOL_INTERNAL | MK_POOL_CACHE_ALIGNED)) && bytes <= ((size_t)1 << 30);
    size_t want = bytes + (redzone ? 2 * FA_RZ : 0); /* front and back redzones */
    fa_inner = 1;
    char *base = mk_pool_alloc((mk_pool_heap)heap, want, tag, flags & ~MK_POOL_ZERO, priority, caller);
    fa_inner = 0;
    /* The pool will count the block again for this call's decision. */
    if (base)
        mk_pooltag_free(tag, mk_heap_is_paged((mk_pool_heap)heap), bytes);
    if (!base)
        return 0; /* the pool tries (and fails, and counts the failure) the usual way */
    char *p = base + (redzone ? FA_RZ : 0);
    mk_pool_block b;
    size_t cap = mk_pool_lookup(base, &b) && b.base == base && b.capacity >= want ? b.capacity : want;
    fa_unpoison(p, bytes);
    if (flags & MK_POOL_ZERO)
        memset(p, 0, bytes);
    if (redzone)
        fa_head_set(base, p, bytes);
    if (base + cap > p + bytes)
        fa_poison(p + bytes, (size_t)(base + cap - (p + bytes)));
    *out = p;
    return 1;
}

static int fa_pool_free(void *p, ULONG tag, int check_tag, void *caller)
{
    if (fa_inner || !p)
        return fa_prev_free ? fa_prev_free(p, tag, check_tag, caller) : 0;
    mk_pool_block b;
    size_t bytes;
    char *base = (char *)p - FA_RZ;
    if (((uintptr_t)p & 15) == 0 && mk_pool_lookup(p, &b) && b.base == base && fa_head_get(base, p, &bytes)) {
        /* Ours: the pool frees (and checks) the block it handed out. */
        size_t cap = b.capacity;
        fa_head gone = {FA_FREED ^ (uintptr_t)p, bytes};
        fa_copy_raw(base, &gone, sizeof gone, base);
        fa_inner = 1;
        mk_pool_free(base, tag, check_tag, caller);
        fa_inner = 0;
        fa_poison(base, cap);
        return 1;
    }
    enum mk_region rg = mk_va_region(p);
    if (((uintptr_t)p & 15) == 0 && (rg == MK_RGN_NPOOL || rg == MK_RGN_PPOOL) &&
        (mk_va_bits(base) & (MK_PG_MAPPED | MK_PG_READ)) == (MK_PG_MAPPED | MK_PG_READ) &&
        BYTE_OFFSET(p) >= FA_RZ) {
        fa_head h;
        fa_copy_raw(&h, base, sizeof h, base);
        if (h.magic == (FA_FREED ^ (uintptr_t)p)) {
            /* Ours, freed already: the pool judges the free of the block
             * it handed out (a double free, with the block's address). */
            fa_inner = 1;
            mk_pool_free(base, tag, check_tag, caller);
            fa_inner = 0;
            return 1;
        }
    }
    int r = fa_prev_free ? fa_prev_free(p, tag, check_tag, caller) : 0;
    if (!r && mk_pool_lookup(p, &b) && b.base == p) {
        /* A block without redzones: poisoned once the pool has it back
         * (mk_pool_free does that right after this hook returns 0; the
         * block is not touched by the pool in between). */
        fa_poison(p, b.capacity);
    }
    return r;
}

/* The part of a pool block the caller owns: for a block with redzones the
 * bytes handed out, else the whole block. 1 and *start / *bytes set when p
 * is inside a live pool block. */
int mk_fz_asan_block(const void *p, void **start, size_t *bytes)
{
    mk_pool_block b;
    if (!p || !mk_pool_lookup(p, &b))
        return 0;
    size_t n;
    char *base = b.base;
    if (fa_on && b.size > 2 * FA_RZ && fa_head_get(base, base + FA_RZ, &n) && n + 2 * FA_RZ <= b.size) {
        *start = base + FA_RZ;
        *bytes = n;
        return 1;
    }
    *start = b.base;
    *bytes = b.size;
    return 1;
}

/* ---- MDL system mappings ---- */
static void fa_track(int kind, const void *addr, size_t size, ULONG tag, const void *aux)
{
    if (fa_prev_track)
        fa_prev_track(kind, addr, size, tag, aux);
    if (kind != MK_TRACK_MAPPING || !addr || !size)
        return;
    const char *va = addr, *start = (const char *)PAGE_ALIGN(va);
    const char *end = (const char *)(((uintptr_t)va + size + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1));
    pthread_mutex_lock(&fa_maps_lock);
    unsigned i = (unsigned)(((uintptr_t)va >> 4) * 2654435761u) & (FA_MAPS - 1);
    for (unsigned n = 0; n < FA_MAPS; n++, i = (i + 1) & (FA_MAPS - 1))
        if (!fa_maps[i].va) {
            fa_maps[i].va = va;
            fa_maps[i].bytes = (size_t)(end - start);
            pthread_mutex_unlock(&fa_maps_lock);
            fa_poison(start, (size_t)(va - start));
            fa_poison(va + size, (size_t)(end - (va + size)));
            return;
        }
    pthread_mutex_unlock(&fa_maps_lock); /* table full: this mapping is not poisoned */
}

static void fa_untrack(int kind, const void *addr)
{
    if (kind == MK_TRACK_MAPPING && addr) {
        pthread_mutex_lock(&fa_maps_lock);
        unsigned i = (unsigned)(((uintptr_t)addr >> 4) * 2654435761u) & (FA_MAPS - 1);
        for (unsigned n = 0; n < FA_MAPS && fa_maps[i].va; n++, i = (i + 1) & (FA_MAPS - 1))
            if (fa_maps[i].va == addr) {
                fa_unpoison(PAGE_ALIGN(addr), fa_maps[i].bytes);
                /* backward-shift deletion keeps the probe chains intact */
                unsigned j = i;
                for (;;) {
                    fa_maps[i].va = NULL;
                    for (;;) {
                        j = (j + 1) & (FA_MAPS - 1);
                        if (!fa_maps[j].va)
                            goto done;
                        unsigned h = (unsigned)(((uintptr_t)fa_maps[j].va >> 4) * 2654435761u) & (FA_MAPS - 1);
                        if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j))
                            break;
                    }
                    fa_maps[i] = fa_maps[j];
                    i = j;
                }
            }
    done:
        pthread_mutex_unlock(&fa_maps_lock);
    }
    if (fa_prev_untrack)
        fa_prev_untrack(kind, addr);
}

/* Called by the fuzzing runtime after every mdlkit_init (the verifier has
 * just filled the table). Returns 1 when ASan is there and the hooks are in. */
int mk_fz_asan_install(void)
{
    if (!mk_fz_asan_present())
        return 0;
    fa_prev_alloc = mk_hook.pool_alloc;
    fa_prev_free = mk_hook.pool_free;
    fa_prev_track = mk_hook.track;
    fa_prev_untrack = mk_hook.untrack;
    mk_hook.pool_alloc = fa_pool_alloc;
    mk_hook.pool_free = fa_pool_free;
    mk_hook.track = fa_track;
    mk_hook.untrack = fa_untrack;
    memset(fa_maps, 0, sizeof fa_maps);
    fa_on = 1;
    return 1;
}

/* Before mdlkit_shutdown: the simulated memory is about to go; nothing of
 * it may stay poisoned (the host may map something else there). */
void mk_fz_asan_uninstall(void)
{
    if (!fa_on)
        return;
    for (int r = MK_RGN_NPOOL; r <= MK_RGN_PPOOL; r++)
        if (mk_as.rgn_end[r] > mk_as.rgn_base[r])
            fa_unpoison(mk_as.rgn_base[r], (size_t)(mk_as.rgn_end[r] - mk_as.rgn_base[r]));
    pthread_mutex_lock(&fa_maps_lock);
    for (unsigned i = 0; i < FA_MAPS; i++)
        if (fa_maps[i].va) {
            fa_unpoison(PAGE_ALIGN(fa_maps[i].va), fa_maps[i].bytes);
            fa_maps[i].va = NULL;
        }
    pthread_mutex_unlock(&fa_maps_lock);
    mk_hook.pool_alloc = fa_prev_alloc;
    mk_hook.pool_free = fa_prev_free;
    mk_hook.track = fa_prev_track;
    mk_hook.untrack = fa_prev_untrack;
    fa_on = 0;
}
