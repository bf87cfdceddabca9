/* Configuration mistakes surface at mdlkit_init, with a message naming the
 * setting (issue #17, item 8): unknown verifier bits, a report path that
 * cannot be written, out-of-range values; a process that exits without
 * mdlkit_shutdown is told that no leak check ran and no report was written. */
#include "testutil.h"

#include <sys/stat.h>
#include <sys/wait.h>

/* stderr of fn(), captured into a static buffer. */
static char captured[8192];
static int capture(int (*fn)(void))
{
    char path[] = "/tmp/mdlkit_test_stderr_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    int rc = fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, captured, sizeof captured - 1);
    captured[n > 0 ? n : 0] = 0;
    close(fd);
    unlink(path);
    return rc;
}

static mdlkit_config g_cfg;
static int init_cfg(void) { return mdlkit_init(&g_cfg); }
static int init_null(void) { return mdlkit_init(NULL); }

static void base(void)
{
    unsetenv("MDLKIT_VERIFIER");
    unsetenv("MDLKIT_REPORT");
    mk_test_config(&g_cfg);
}

static void expect_refused(const char *needle)
{
    assert_int_equal(capture(init_cfg), -1);
    assert_false(mdlkit_is_initialized());
    if (!strstr(captured, needle))
        fail_msg("stderr does not say \"%s\":\n%s", needle, captured);
}

static void test_unknown_verifier_bits(void **state)
{
    (void)state;
    base();
    g_cfg.verifier_flags = 0xFFFFFFFFUL;
    expect_refused("verifier_flags 0xffffffff has option bits mdlkit does not implement (0xfdf9f6e0)");
    g_cfg.verifier_flags = 0x20; /* deadlock detection: not implemented */
    expect_refused("(0x00000020)");
    /* every implemented bit is accepted */
    g_cfg.verifier_flags = MDLKIT_VERIFY_STANDARD | MDLKIT_VERIFY_LOW_RESOURCES | MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES;
    assert_int_equal(mdlkit_init(&g_cfg), 0);
    mdlkit_shutdown();
}

static void test_env_verifier_all_ones(void **state)
{
    (void)state;
    base();
    setenv("MDLKIT_VERIFIER", "0xFFFFFFFF", 1);
    assert_int_equal(capture(init_null), -1);
    assert_non_null(strstr(captured, "does not implement"));
    unsetenv("MDLKIT_VERIFIER");
}

static void test_report_path_unwritable(void **state)
{
    (void)state;
    base();
    g_cfg.report_path = "/nonexistent/dir/r.json";
    expect_refused("report_path \"/nonexistent/dir/r.json\": the directory /nonexistent/dir does not exist");
    g_cfg.report_path = "/tmp";
    expect_refused("is a directory");
    if (geteuid() != 0) { /* root writes anywhere */
        char dir[] = "/tmp/mdlkit_ro_XXXXXX";
        assert_non_null(mkdtemp(dir));
        chmod(dir, 0555);
        char path[256];
        snprintf(path, sizeof path, "%s/r.json", dir);
        g_cfg.report_path = path;
        expect_refused("is not writable");
        rmdir(dir);
    }
    /* the same through MDLKIT_REPORT */
    setenv("MDLKIT_REPORT", "/nonexistent/dir/r.json", 1);
    assert_int_equal(capture(init_null), -1);
    assert_non_null(strstr(captured, "/nonexistent/dir does not exist"));
    unsetenv("MDLKIT_REPORT");
}

static void test_report_path_writable(void **state)
{
    (void)state;
    base();
    char path[] = "/tmp/mdlkit_cfg_report_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    g_cfg.report_path = path;
    assert_int_equal(mdlkit_init(&g_cfg), 0);
    mdlkit_shutdown();
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0); /* written at shutdown */
    unlink(path);
}

static void test_out_of_range_values(void **state)
{
    (void)state;
    base();
    g_cfg.os_version = 0x0B000000UL;
    expect_refused("os_version 0x0b000000 is above any Windows NTDDI value");
    base();
    g_cfg.special_pool_size = PAGE_SIZE;
    expect_refused("special_pool_size 4096 is not a small allocation size");
    base();
    g_cfg.processors = 65;
    expect_refused("processors must be 1..64");
    base();
    g_cfg.fault_probability = 10001;
    expect_refused("fault_probability 10001 is above 10000");
    base();
    g_cfg.physical_memory = 1 << 20;
    expect_refused("outside 16 MiB");
    base();
    g_cfg.systematic_state = "/nonexistent/dir/state";
    expect_refused("systematic_state \"/nonexistent/dir/state\"");
}

/* A child that returns from main with the machine running under Pool
 * Tracking and a report path: the warning names both. */
static void test_exit_without_shutdown_warns(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        base();
        g_cfg.verifier_flags = MDLKIT_VERIFY_POOL_TRACKING;
        g_cfg.report_path = "/tmp/mdlkit_cfg_never_written.json";
        if (mdlkit_init(&g_cfg) != 0)
            _exit(3);
        exit(0); /* no mdlkit_shutdown */
    }
    close(fds[1]);
    char buf[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
    close(fds[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!strstr(buf, "mdlkit_shutdown was not called") || !strstr(buf, "final leak check") ||
        !strstr(buf, "report was not written"))
        fail_msg("no exit warning:\n%s", buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_verifier_bits),
        cmocka_unit_test(test_env_verifier_all_ones),
        cmocka_unit_test(test_report_path_unwritable),
        cmocka_unit_test(test_report_path_writable),
        cmocka_unit_test(test_out_of_range_values),
        cmocka_unit_test(test_exit_without_shutdown_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
