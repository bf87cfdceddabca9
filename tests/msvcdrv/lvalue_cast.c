/*
 * A driver-style source written as MSVC accepts it: casts used as the
 * target of an assignment (an MSVC extension; C compilers reject it).
 * Built by tests/test_driver_msvc_syntax.cmake through mdlkit_add_driver,
 * which compiles a rewritten copy; the lines below must keep their numbers.
 */
#include <wdm.h>

typedef struct cursor {
    PVOID Buffer;
    ULONG Length;
} cursor;

void CursorAdvance(cursor *c, ULONG n)
{
    (ULONG_PTR)c->Buffer += n;
    c->Length -= n;
}

void CursorBack(cursor *c, ULONG n)
{
        (ULONG_PTR) c->Buffer -= n;
    c->Length += n;
}

ULONG CursorLine(void) { return __LINE__; } /* line 26 */

const char *CursorFile(void) { return __FILE__; }
