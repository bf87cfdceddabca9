/*
 * initguid.h -- mdlkit's own text. Including it makes every following
 * DEFINE_GUID define its GUID (storage in this translation unit) instead of
 * only declaring it.
 */
#ifndef INITGUID
#define INITGUID
#endif
#include <guiddef.h>
