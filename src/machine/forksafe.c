/*
 * forksafe.c -- a forked child gets a machine of its own.
 *
 * Simulated physical memory is a memfd mapped MAP_SHARED (that is what makes
 * two addresses of one frame alias). fork() keeps those mappings shared, so
 * without help a child -- an AFL++ fork-server child, a test that forks, a
 * libFuzzer -fork worker forked from an initialised process -- would write
 * the parent's "RAM". The pthread_atfork child handler below gives the child
 * a private copy instead:
 *
 *  1. a new memfd of the same size receives the populated extents of the
 *     old one (SEEK_DATA / SEEK_HOLE: holes stay holes, so the copy costs
 *     what the machine has touched, not its size);
 *  2. the direct map and every frame mapping recorded in the address-space
 *     tables (mk_as.pfn / mk_as.bits, found through the regions' VA
 *     bitmaps) are re-established at the same addresses, with the same
 *     protection, on the new memfd -- so aliases still alias, in the child;
 *  3. the old descriptor is closed.
 *
 * The prepare handler takes the frame allocator's and the VA allocators'
 * locks so that the child copies consistent tables; the parent and child
 * handlers release them. fork() returns in the parent only once the child
 * has made its copy (a pipe between the handlers), so the child's machine is
 * the parent's as it was at fork() -- exactly what fork() promises for
 * ordinary memory. Writes another thread of the parent makes to simulated
 * memory during fork() are not ordered with the copy (as for any memory of
 * a multi-threaded process that forks).
 */
#define _GNU_SOURCE
#include "mk_machine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_once_t fs_once = PTHREAD_ONCE_INIT;
static int fs_locked; /* the prepare handler holds the machine's locks */
static int fs_pipe[2] = {-1, -1}; /* the child says "copied" through it */
static atomic_ulong fs_children; /* children that made their copy (for tests: per process) */

static void fs_prepare(void)
{
    fs_locked = 0;
    if (!atomic_load(&mk_rt.up) || mk_phys.fd < 0)
        return;
    if (pipe2(fs_pipe, O_CLOEXEC) != 0)
        fs_pipe[0] = fs_pipe[1] = -1;
    pthread_mutex_lock(&mk_phys.lock);
    for (int r = MK_RGN_USER; r < MK_RGN_DIRECT; r++)
        if (mk_as.range[r].used)
            pthread_mutex_lock(&mk_as.range[r].lock);
    fs_locked = 1;
}

static void fs_unlock(void)
{
    if (!fs_locked)
        return;
    for (int r = MK_RGN_DIRECT - 1; r >= MK_RGN_USER; r--)
        if (mk_as.range[r].used)
            pthread_mutex_unlock(&mk_as.range[r].lock);
    pthread_mutex_unlock(&mk_phys.lock);
    fs_locked = 0;
}

/* The parent waits until the child has its copy: until then the child
 * still reads the shared memfd, and a write of the parent would leak into
 * the copy. (If fork() failed, or the child died, the read sees end of file.) */
static void fs_parent(void)
{
    int was_locked = fs_locked;
    fs_unlock();
    if (!was_locked || fs_pipe[0] < 0)
        return;
    close(fs_pipe[1]);
    char c;
    while (read(fs_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    close(fs_pipe[0]);
    fs_pipe[0] = fs_pipe[1] = -1;
}

static MK_NORETURN void fs_die(const char *what)
{
    /* The child cannot run on shared RAM: that would corrupt the parent. */
    fprintf(stderr, "mdlkit: forked child cannot get its own simulated memory (%s: %s); exiting\n", what,
            strerror(errno));
    _exit(127);
}

/* Copies the populated extents of `from` into `to` (same size). */
static void fs_copy_ram(int from, int to, size_t bytes)
{
    const char *direct = mk_as.rgn_base[MK_RGN_DIRECT];
    off_t off = 0, end = (off_t)bytes;
    while (off < end) {
        off_t data = lseek(from, off, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO)
                return; /* only holes after off */
            fs_die("SEEK_DATA");
        }
        off_t hole = lseek(from, data, SEEK_HOLE);
        if (hole < 0 || hole > end)
            hole = end;
        off_t at = data;
        while (at < hole) {
            ssize_t n = pwrite(to, direct + at, (size_t)(hole - at), at);
            if (n <= 0) {
                if (n < 0 && errno == EINTR)
                    continue;
                fs_die("copying simulated RAM");
            }
            at += n;
        }
        off = hole;
    }
}

/* Maps [va, va + n pages) of frames starting at pfn again, on fd. */
static void fs_remap(char *va, PFN_NUMBER pfn, size_t n, uint8_t bits, int fd)
{
    off_t off = (off_t)(pfn - mk_phys.first) << PAGE_SHIFT;
    if (mmap(va, n << PAGE_SHIFT, mk_va_host_prot(bits), MAP_SHARED | MAP_FIXED, fd, off) == MAP_FAILED)
        fs_die("re-mapping simulated RAM");
}

/* Every frame mapping of the regions with a VA allocator, run by run
 * (consecutive pages, consecutive frames, one protection). */
static void fs_remap_regions(int fd)
{
    for (int r = MK_RGN_USER; r < MK_RGN_DIRECT; r++) {
        const mk_vrange *vr = &mk_as.range[r];
        if (!vr->used)
            continue;
        size_t first_idx = mk_va_index(vr->base);
        size_t words = (vr->npages + 63) / 64;
        char *run_va = NULL;
        PFN_NUMBER run_pfn = 0;
        size_t run_n = 0;
        uint8_t run_bits = 0;
        for (size_t w = 0; w < words; w++) {
            if (!vr->used[w]) {
                if (run_n)
                    fs_remap(run_va, run_pfn, run_n, run_bits, fd);
                run_n = 0;
                continue;
            }
            for (size_t b = 0; b < 64 && w * 64 + b < vr->npages; b++) {
                size_t i = first_idx + w * 64 + b;
                uint8_t bits = mk_as.bits[i];
                PFN_NUMBER pfn = mk_as.pfn[i];
                int mapped = (bits & MK_PG_MAPPED) && mk_pfn_is_ram(pfn);
                uint8_t prot = bits & (MK_PG_READ | MK_PG_WRITE | MK_PG_EXEC);
                if (run_n && (!mapped || pfn != run_pfn + run_n || prot != run_bits)) {
                    fs_remap(run_va, run_pfn, run_n, run_bits, fd);
                    run_n = 0;
                }
                if (!mapped)
                    continue;
                if (!run_n) {
                    run_va = mk_as.base + (i << PAGE_SHIFT);
                    run_pfn = pfn;
                    run_bits = prot;
                }
                run_n++;
            }
        }
        if (run_n)
            fs_remap(run_va, run_pfn, run_n, run_bits, fd);
    }
}

static void fs_child(void)
{
    if (!fs_locked)
        return;
    size_t bytes = mk_phys.npages << PAGE_SHIFT;
    int fd = memfd_create("mdlkit-ram", MFD_CLOEXEC);
    if (fd < 0)
        fs_die("memfd_create");
    if (ftruncate(fd, (off_t)bytes) != 0)
        fs_die("ftruncate");
    fs_copy_ram(mk_phys.fd, fd, bytes);
    if (mmap(mk_as.rgn_base[MK_RGN_DIRECT], bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
        MAP_FAILED)
        fs_die("re-mapping the direct map");
    fs_remap_regions(fd);
    close(mk_phys.fd);
    mk_phys.fd = fd;
    atomic_store(&fs_children, atomic_load(&fs_children) + 1);
    fs_unlock();
    if (fs_pipe[1] >= 0) {
        close(fs_pipe[0]);
        while (write(fs_pipe[1], "c", 1) < 0 && errno == EINTR)
            ;
        close(fs_pipe[1]);
        fs_pipe[0] = fs_pipe[1] = -1;
    }
}

static void fs_register(void) { pthread_atfork(fs_prepare, fs_parent, fs_child); }

void mk_forksafe_install(void) { pthread_once(&fs_once, fs_register); }

unsigned long mk_forksafe_children(void) { return atomic_load(&fs_children); }
