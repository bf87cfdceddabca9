/* The version macros of mdlkit.h agree with CMake's project version (the
 * one the shared library, pkg-config file and CMake package carry), and
 * `mdlkit --version` prints the same. */
#include "testutil.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>

/* tests/test_version.c -> the source tree's top-level CMakeLists.txt */
static void source_file(char *out, size_t cap, const char *name)
{
    const char *f = __FILE__;
    const char *tail = strstr(f, "tests/test_version.c");
    size_t n = tail ? (size_t)(tail - f) : 0;
    snprintf(out, cap, "%.*s%s", (int)n, f, name);
}

static void test_macros_match_cmake_project_version(void **state)
{
    (void)state;
    char path[4096], line[512];
    source_file(path, sizeof path, "CMakeLists.txt");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int major = -1, minor = -1, patch = -1;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "project(mdlkit VERSION ");
        if (p && sscanf(p, "project(mdlkit VERSION %d.%d.%d", &major, &minor, &patch) == 3)
            break;
    }
    fclose(f);
    assert_int_equal(major, MDLKIT_VERSION_MAJOR);
    assert_int_equal(minor, MDLKIT_VERSION_MINOR);
    assert_int_equal(patch, MDLKIT_VERSION_PATCH);
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", MDLKIT_VERSION_MAJOR, MDLKIT_VERSION_MINOR, MDLKIT_VERSION_PATCH);
    assert_string_equal(MDLKIT_VERSION_STRING, want);
}

static void test_license_is_mit(void **state)
{
    (void)state;
    char path[4096], text[4096];
    source_file(path, sizeof path, "LICENSE");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    assert_non_null(strstr(text, "MIT License"));
    assert_non_null(strstr(text, "Copyright (c) 2026 the mdlkit authors"));
}

/* `mdlkit --version` (the command built next to this test) prints
 * "mdlkit " MDLKIT_VERSION_STRING. */
static void test_cli_version(void **state)
{
    (void)state;
    char self[4096], cmd[4200], out[256] = "";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = 0;
    snprintf(cmd, sizeof cmd, "'%s/../tools/mdlkit' --version", dirname(self));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(out, sizeof out, p))
        out[0] = 0;
    assert_int_equal(pclose(p), 0);
    assert_string_equal(out, "mdlkit " MDLKIT_VERSION_STRING "\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_macros_match_cmake_project_version),
        cmocka_unit_test(test_license_is_mit),
        cmocka_unit_test(test_cli_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
