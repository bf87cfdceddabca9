/*
 * names.c -- mdlkit_bugcheck_name and mdlkit_ntstatus_name, built from the
 * single lists in bugcodes.h (MDLKIT_BUGCHECK_CODES) and ntstatus.h
 * (MDLKIT_NTSTATUS_NAMES).
 */
#include "mk_base.h"

static const struct {
    ULONG code;
    const char *name;
} names_bugcheck[] = {
#define NAMES_BC_(code, name) {code, #name},
    MDLKIT_BUGCHECK_CODES(NAMES_BC_)
#undef NAMES_BC_
};

static const struct {
    NTSTATUS status;
    const char *name;
} names_status[] = {
#define NAMES_ST_(name) {name, #name},
    MDLKIT_NTSTATUS_NAMES(NAMES_ST_)
#undef NAMES_ST_
};

const char *mdlkit_bugcheck_name(ULONG code)
{
    for (size_t i = 0; i < MK_ARRAY_SIZE(names_bugcheck); i++)
        if (names_bugcheck[i].code == code)
            return names_bugcheck[i].name;
    return NULL;
}

const char *mdlkit_ntstatus_name(NTSTATUS status)
{
    for (size_t i = 0; i < MK_ARRAY_SIZE(names_status); i++)
        if (names_status[i].status == status)
            return names_status[i].name;
    return NULL;
}
