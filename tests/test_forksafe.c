/*
 * test_forksafe.c -- a forked child runs on its own copy of the simulated
 * machine (src/machine/forksafe.c): its writes to pool, user buffers, MDL
 * system mappings and the direct map never reach the parent, the parent's
 * later writes never reach it, aliases still alias inside the child, and the
 * child's machine keeps working (allocate, free, map).
 */
#include "testutil.h"

#include <sys/wait.h>

unsigned long mk_forksafe_children(void); /* src/machine/forksafe.c */

#define FS_TAG 'kroF'

/* Runs child(arg) in a forked child; returns its exit status (0 = its
 * checks passed), or -1 if it died. */
static int fs_run_child(int (*child)(void *), void *arg, int sync_fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        int rc = child(arg);
        fflush(stdout);
        _exit(rc);
    }
    assert_true(pid > 0);
    (void)sync_fd;
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct fs_bufs {
    unsigned char *pool;   /* non-paged pool, one page */
    unsigned char *user;   /* a user buffer, two pages */
    unsigned char *alias;  /* its MDL system mapping (a second mapping of the same frames) */
    unsigned char *direct; /* the pool page through the direct map */
    PMDL mdl;
} fs_bufs;

static void fs_make(fs_bufs *b)
{
    b->pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, PAGE_SIZE, FS_TAG);
    assert_non_null(b->pool);
    assert_int_equal(BYTE_OFFSET(b->pool), 0);
    memset(b->pool, 0xA1, PAGE_SIZE);
    b->direct = mdlkit_phys_to_va(MmGetPhysicalAddress(b->pool));
    assert_non_null(b->direct);
    assert_ptr_not_equal(b->direct, b->pool);
    b->user = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(b->user);
    memset(b->user, 0xB2, 2 * PAGE_SIZE);
    /* The user pages locked and mapped a second time, in system space. */
    b->mdl = IoAllocateMdl(b->user, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(b->mdl);
    MmProbeAndLockPages(b->mdl, KernelMode, IoWriteAccess);
    b->alias = MmMapLockedPagesSpecifyCache(b->mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    assert_non_null(b->alias);
    assert_ptr_not_equal(b->alias, b->user);
}

static void fs_free(fs_bufs *b)
{
    MmUnmapLockedPages(b->alias, b->mdl);
    MmUnlockPages(b->mdl);
    IoFreeMdl(b->mdl);
    ExFreePoolWithTag(b->pool, FS_TAG);
    mdlkit_user_free(b->user);
}

/* ---- the child's writes stay in the child ---- */

static int fs_child_writes(void *arg)
{
    fs_bufs *b = arg;
    if (mk_forksafe_children() != 1)
        return 10; /* the child handler did not run (or ran twice) */
    /* The child still sees what the parent wrote before fork(). */
    if (b->pool[0] != 0xA1 || b->user[PAGE_SIZE] != 0xB2)
        return 11;
    memset(b->pool, 0xC3, PAGE_SIZE);
    memset(b->user, 0xD4, 2 * PAGE_SIZE);
    /* Aliases alias in the child: the MDL mapping and the direct map show
     * the child's own writes, both ways. */
    if (b->alias[PAGE_SIZE + 17] != 0xD4 || b->direct[PAGE_SIZE - 1] != 0xC3)
        return 12;
    b->alias[5] = 0xE5;
    b->direct[6] = 0xF6;
    if (b->user[5] != 0xE5 || b->pool[6] != 0xF6)
        return 13;
    /* The child's machine keeps working: allocate, write, map, free. */
    unsigned char *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 3 * PAGE_SIZE, FS_TAG);
    if (!p)
        return 14;
    memset(p, 0x5A, 3 * PAGE_SIZE);
    unsigned char *u = mdlkit_user_alloc(3 * PAGE_SIZE, PAGE_READWRITE);
    PMDL m = u ? IoAllocateMdl(u, 3 * PAGE_SIZE, FALSE, FALSE, NULL) : NULL;
    if (!m)
        return 15;
    MmProbeAndLockPages(m, KernelMode, IoWriteAccess);
    unsigned char *q = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    if (!q)
        return 16;
    q[2 * PAGE_SIZE + 1] = 0x5B;
    if (u[2 * PAGE_SIZE + 1] != 0x5B || p[3 * PAGE_SIZE - 1] != 0x5A)
        return 17;
    MmUnmapLockedPages(q, m);
    MmUnlockPages(m);
    IoFreeMdl(m);
    mdlkit_user_free(u);
    ExFreePoolWithTag(p, FS_TAG);
    fs_free(b);
    mdlkit_shutdown();
    return 0;
}

static void test_child_writes_stay_in_child(void **state)
{
    (void)state;
    fs_bufs b;
    fs_make(&b);
    assert_int_equal(fs_run_child(fs_child_writes, &b, -1), 0);
    /* Nothing the child wrote reached the parent. */
    for (size_t i = 0; i < PAGE_SIZE; i++) {
        assert_int_equal(b.pool[i], 0xA1);
        assert_int_equal(b.direct[i], 0xA1);
    }
    for (size_t i = 0; i < 2 * PAGE_SIZE; i++) {
        assert_int_equal(b.user[i], 0xB2);
        assert_int_equal(b.alias[i], 0xB2);
    }
    /* The parent's machine did not change: its own aliases still alias. */
    b.pool[9] = 0x99;
    assert_int_equal(b.direct[9], 0x99);
    b.user[PAGE_SIZE + 9] = 0x98;
    assert_int_equal(b.alias[PAGE_SIZE + 9], 0x98);
    assert_int_equal(mk_forksafe_children(), 0);
    fs_free(&b);
}

/* ---- the parent's writes after fork() stay in the parent ---- */

typedef struct fs_sync {
    fs_bufs *b;
    int go[2];   /* parent -> child: "I wrote" */
    int done[2]; /* child -> parent: "I looked" */
} fs_sync;

static int fs_child_reads(void *arg)
{
    fs_sync *s = arg;
    char c;
    close(s->go[1]);
    close(s->done[0]);
    if (read(s->go[0], &c, 1) != 1)
        return 20;
    int rc = 0;
    if (s->b->pool[100] != 0xA1 || s->b->direct[100] != 0xA1 || s->b->alias[3] != 0xB2 || s->b->user[3] != 0xB2)
        rc = 21; /* the parent's write after fork() reached the child */
    if (write(s->done[1], "k", 1) != 1)
        rc = 22;
    return rc;
}

static void test_parent_writes_stay_in_parent(void **state)
{
    (void)state;
    fs_bufs b;
    fs_make(&b);
    fs_sync s = {.b = &b};
    assert_int_equal(pipe(s.go), 0);
    assert_int_equal(pipe(s.done), 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fs_child_reads(&s));
    assert_true(pid > 0);
    close(s.go[0]);
    close(s.done[1]);
    memset(b.pool, 0x77, PAGE_SIZE);
    memset(b.user, 0x66, PAGE_SIZE);
    assert_int_equal(write(s.go[1], "g", 1), 1);
    char c;
    assert_int_equal(read(s.done[0], &c, 1), 1);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(b.direct[100], 0x77);
    assert_int_equal(b.alias[3], 0x66);
    close(s.go[1]);
    close(s.done[0]);
    fs_free(&b);
}

/* ---- a fork before mdlkit_init (or after shutdown) copies nothing ---- */

static int fs_child_nothing(void *arg)
{
    (void)arg;
    return mk_forksafe_children() == 0 && !mdlkit_is_initialized() ? 0 : 30;
}

static void test_fork_without_machine(void **state)
{
    (void)state;
    mdlkit_shutdown();
    assert_int_equal(fs_run_child(fs_child_nothing, NULL, -1), 0);
    mdlkit_config c;
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_child_writes_stay_in_child, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_parent_writes_stay_in_parent, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_fork_without_machine, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
