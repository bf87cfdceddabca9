/* A source with nothing MSVC-only: compiled in place. */
#include <wdm.h>

const char *PlainFile(void) { return __FILE__; }
