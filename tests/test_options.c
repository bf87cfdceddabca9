/* The options table (src/rt/options.c): mdlkit_config_default is the
 * table's defaults, then each MDLKIT_* variable through its parser; a bad
 * value is named and keeps the default, and mdlkit_init then refuses. */
#include "testutil.h"
#include "mk_options.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void opt_clear_env(void)
{
    for (size_t i = 0; i < mk_options_count; i++)
        unsetenv(mk_options[i].env);
}

static void test_defaults_come_from_the_table(void **state)
{
    (void)state;
    opt_clear_env();
    mdlkit_config c;
    memset(&c, 0xA5, sizeof c);
    mdlkit_config_default(&c);
    assert_int_equal(mk_options_env_error(), 0);
    assert_int_equal(c.physical_memory, (size_t)1024 << 20);
    assert_int_equal(c.os_version, NTDDI_WIN11_GE);
    assert_int_equal(c.verifier_flags, 0);
    assert_int_equal(c.fault_probability, 600);
    assert_int_equal(c.fault_seed, 1);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(c.processors, n < 1 ? 1 : n > 64 ? 64 : n);
    assert_null(c.report_path);
    assert_null(c.fault_tags);
    assert_null(c.systematic_state);
    assert_int_equal(c.quiet, 0);
    assert_int_equal(c.special_pool_tag, 0);
    assert_int_equal(c.special_pool_size, 0);
    /* every entry documents itself; a parsed entry names its field */
    for (size_t i = 0; i < mk_options_count; i++) {
        const mk_option *o = &mk_options[i];
        assert_non_null(o->name);
        assert_non_null(o->env);
        assert_int_equal(strncmp(o->env, "MDLKIT_", 7), 0);
        assert_non_null(o->value);
        assert_non_null(o->help);
        if (o->parse)
            assert_non_null(o->field);
    }
}

static void test_each_variable_sets_its_field(void **state)
{
    (void)state;
    opt_clear_env();
    setenv("MDLKIT_PHYS_MB", "64", 1);
    setenv("MDLKIT_OS", "win8", 1);
    setenv("MDLKIT_VERIFIER", "special_pool,pool_tracking", 1);
    setenv("MDLKIT_FAULTS", "25,7,Tag1", 1);
    setenv("MDLKIT_REPORT", "/tmp/x.json", 1);
    setenv("MDLKIT_CPUS", "3", 1);
    setenv("MDLKIT_SYSTEMATIC_STATE", "/tmp/s.state", 1);
    setenv("MDLKIT_SPECIAL_POOL_TAG", "Tag1", 1);
    setenv("MDLKIT_SPECIAL_POOL_SIZE", "100", 1);
    mdlkit_config c;
    mdlkit_config_default(&c);
    assert_int_equal(mk_options_env_error(), 0);
    assert_int_equal(c.physical_memory, (size_t)64 << 20);
    assert_int_equal(c.os_version, NTDDI_WIN8);
    assert_int_equal(c.verifier_flags, MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_POOL_TRACKING);
    assert_int_equal(c.fault_probability, 25);
    assert_int_equal(c.fault_seed, 7);
    assert_string_equal(c.fault_tags, "Tag1");
    assert_string_equal(c.report_path, "/tmp/x.json");
    assert_int_equal(c.processors, 3);
    assert_string_equal(c.systematic_state, "/tmp/s.state");
    assert_int_equal(c.special_pool_tag, '1gaT');
    assert_int_equal(c.special_pool_size, 100);
    /* "all": the host's processors */
    setenv("MDLKIT_CPUS", "all", 1);
    mdlkit_config_default(&c);
    assert_true(c.processors >= 1 && c.processors <= 64);
    opt_clear_env();
}

static void test_a_bad_value_keeps_the_default_and_blocks_init(void **state)
{
    (void)state;
    static const struct {
        const char *env, *bad;
    } cases[] = {
        {"MDLKIT_PHYS_MB", "8"},         {"MDLKIT_PHYS_MB", "lots"},   {"MDLKIT_OS", "win95"},
        {"MDLKIT_VERIFIER", "speshul"},  {"MDLKIT_FAULTS", "10001"},   {"MDLKIT_FAULTS", "5,x"},
        {"MDLKIT_CPUS", "0"},            {"MDLKIT_CPUS", "65"},        {"MDLKIT_SPECIAL_POOL_TAG", "0x0"},
        {"MDLKIT_SPECIAL_POOL_SIZE", "4096"},
    };
    mdlkit_config def;
    opt_clear_env();
    mdlkit_config_default(&def);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        opt_clear_env();
        setenv(cases[i].env, cases[i].bad, 1);
        mdlkit_config c;
        mdlkit_config_default(&c);
        assert_int_equal(mk_options_env_error(), 1);
        assert_memory_equal(&c, &def, sizeof c);
        assert_int_equal(mdlkit_init(&c), -1);
        assert_int_equal(mdlkit_is_initialized(), 0);
    }
    opt_clear_env();
    mdlkit_config c;
    mdlkit_config_default(&c);
    assert_int_equal(mk_options_env_error(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_come_from_the_table),
        cmocka_unit_test(test_each_variable_sets_its_field),
        cmocka_unit_test(test_a_bad_value_keeps_the_default_and_blocks_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
