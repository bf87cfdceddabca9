/*
 * test_driver_msvc_syntax: what mdlkit_add_driver does for MSVC-only C in
 * driver sources. A cast as the target of an assignment
 * ("(ULONG_PTR)Srb->DataBuffer += count;", as lsi_u3 writes it) is
 * compiled from a rewritten copy with the same meaning, and diagnostics
 * and __FILE__/__LINE__ still name the original source and line; a source
 * without such statements is compiled in place.
 */
#include "testutil.h"

typedef struct cursor {
    void *Buffer;
    ULONG Length;
} cursor;

void CursorAdvance(cursor *c, ULONG n);
void CursorBack(cursor *c, ULONG n);
ULONG CursorLine(void);
const char *CursorFile(void);
const char *PlainFile(void);

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static void test_lvalue_cast_adds_to_the_pointer(void **state)
{
    (void)state;
    static unsigned char buf[64];
    cursor c = {buf, sizeof buf};
    CursorAdvance(&c, 10);
    assert_ptr_equal(c.Buffer, buf + 10);
    assert_int_equal(c.Length, 54);
    CursorAdvance(&c, 0x20);
    assert_ptr_equal(c.Buffer, buf + 42);
    CursorBack(&c, 40);
    assert_ptr_equal(c.Buffer, buf + 2);
    assert_int_equal(c.Length, 62);
}

static void test_rewritten_copy_keeps_file_and_line(void **state)
{
    (void)state;
    assert_int_equal(CursorLine(), 26);
    assert_true(ends_with(CursorFile(), "tests/msvcdrv/lvalue_cast.c"));
    assert_true(ends_with(PlainFile(), "tests/msvcdrv/plain.c"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lvalue_cast_adds_to_the_pointer),
        cmocka_unit_test(test_rewritten_copy_keeps_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
