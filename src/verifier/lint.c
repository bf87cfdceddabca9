/*
 * lint.c -- mdlkit's own lint category (mdlkit_config.lint, MDLKIT_LINT):
 * advisories that no Driver Verifier option raises and that may flag code
 * that works. Off by default; "warn" prints one line with the rule, the
 * reason and the driver's line (and counts it: mdlkit_lint_count);
 * "fatal" makes each finding bug check 0xC4 with the rule's ID as P1 and
 * the reason as P2, as mdlkit's other rules. The rules are listed in
 * docs/verifier.md "Lint" and docs/rules.md.
 */
#include "mk_base.h"
#include "vf_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define LINT_RULES 16
static atomic_ulong lint_counts[LINT_RULES + 1]; /* [0]: all */


/* Partial MDLs prepared for reuse since their last IoBuildPartialMdl: a
 * small set of addresses (a full set forgets the oldest: the rule then stays
 * silent, never wrong). */
#define LINT_PREP 256
static pthread_mutex_t lint_prep_lock = PTHREAD_MUTEX_INITIALIZER;
static const void *lint_prep[LINT_PREP];
static unsigned lint_prep_next;

/* Blocks of the NDIS and StorPort allocators (lint on): address ->
 * family, open addressing with tombstones; a full table notes nothing
 * more (the rule then stays silent for those blocks, never wrong). */
#define LINT_FAM 16384
#define LINT_TOMB ((const void *)1)
static const void *lint_fam_p[LINT_FAM];
static unsigned char lint_fam_f[LINT_FAM];
static unsigned lint_fam_used;

/* MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS: the last NULL a mapping DDI
 * without a failure path returned on this thread -- the call site, the
 * caller's frame pointer and the return address that frame held then. A
 * later successful call forgets it; a fault on the null page while that
 * frame is still live (found on the frame-pointer chain of the faulting
 * code, holding the same return address) takes it and reports the rule
 * with the call site. A driver that tests the NULL and fails the request
 * never faults, so it never hears of the rule; a fault after the frame has
 * returned is not attributed (the note then stays silent, never wrong). */
static MK_TLS struct {
    ULONG rule;
    const void *obj;
    void *site;
    uintptr_t fp;
    void *fp_ret;
} lint_null;

static size_t lint_fam_hash(const void *p) { return ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL >> 50; }

int mk_vf_lint_family(const void *p, int family)
{
    int had = 0;
    size_t i = lint_fam_hash(p) & (LINT_FAM - 1);
    pthread_mutex_lock(&lint_prep_lock);
    if (family) {
        if (lint_fam_used < LINT_FAM / 2) {
            size_t free_slot = (size_t)-1;
            for (size_t n = 0; n < LINT_FAM; n++, i = (i + 1) & (LINT_FAM - 1)) {
                if (lint_fam_p[i] == p) {
                    free_slot = i;
                    break;
                }
                if (lint_fam_p[i] == LINT_TOMB && free_slot == (size_t)-1)
                    free_slot = i;
                if (lint_fam_p[i] == NULL) {
                    if (free_slot == (size_t)-1) {
                        free_slot = i;
                        lint_fam_used++;
                    }
                    break;
                }
            }
            if (free_slot != (size_t)-1) {
                lint_fam_p[free_slot] = p;
                lint_fam_f[free_slot] = (unsigned char)family;
            }
        }
    } else {
        for (size_t n = 0; n < LINT_FAM && lint_fam_p[i]; n++, i = (i + 1) & (LINT_FAM - 1))
            if (lint_fam_p[i] == p) {
                had = lint_fam_f[i];
                lint_fam_p[i] = LINT_TOMB;
                break;
            }
    }
    pthread_mutex_unlock(&lint_prep_lock);
    return had;
}

void mk_vf_lint_reset(void)
{
    pthread_mutex_lock(&lint_prep_lock);
    memset(lint_fam_p, 0, sizeof lint_fam_p);
    lint_fam_used = 0;
    pthread_mutex_unlock(&lint_prep_lock);
    for (int i = 0; i <= LINT_RULES; i++)
        atomic_store(&lint_counts[i], 0);
    pthread_mutex_lock(&lint_prep_lock);
    memset(lint_prep, 0, sizeof lint_prep);
    lint_prep_next = 0;
    pthread_mutex_unlock(&lint_prep_lock);
    lint_null.site = NULL; /* the resetting thread's note (others' go with their frames) */
}

int mk_vf_lint_mdl_prepared(const void *mdl, int mark)
{
    int found = 0;
    pthread_mutex_lock(&lint_prep_lock);
    for (unsigned i = 0; i < LINT_PREP && !found; i++)
        if (lint_prep[i] == mdl) {
            found = 1;
            if (!mark)
                lint_prep[i] = NULL;
        }
    if (mark && !found)
        lint_prep[lint_prep_next++ % LINT_PREP] = mdl;
    pthread_mutex_unlock(&lint_prep_lock);
    /* a full set may have forgotten it: never report then */
    return found || (!mark && lint_prep_next > LINT_PREP);
}

static const char *lint_name(ULONG rule)
{
    switch (rule) {
    case MDLKIT_RULE_LINT_ALLOCATOR_FAMILY:
        return "freed through another allocator family";
    case MDLKIT_RULE_LINT_POOL2_TYPE:
        return "ExAllocatePool2 given a POOL_TYPE";
    case MDLKIT_RULE_LINT_PARTIAL_REUSE:
        return "partial MDL reused without MmPrepareMdlForReuse";
    case MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS:
        return "MmGetSystemAddressForMdl's NULL result used";
    case MDLKIT_RULE_STORPORT_ALLOCATE_POOL2:
        return "StorPortAllocatePool2: allocating into a variable that holds a live block";
    default:
        return "lint";
    }
}

void mk_vf_lint(ULONG rule, const char *why, ULONG_PTR p3, ULONG_PTR p4, void *caller)
{
    if (mk_rt.cfg.lint == MDLKIT_LINT_FATAL)
        mk_violation(rule, why, p3, p4);
    ULONG i = rule & 0xFFFF;
    atomic_fetch_add(&lint_counts[0], 1);
    if (i >= 1 && i <= LINT_RULES)
        atomic_fetch_add(&lint_counts[i], 1);
    if (mk_rt.cfg.quiet)
        return;
    char where[256];
    mk_symbolize(caller, where, sizeof where);
    fprintf(stderr, "mdlkit lint warning 0x%08lx (%s): %s [P3 0x%lx, P4 0x%lx] at %s\n", (unsigned long)rule,
            lint_name(rule), why, (unsigned long)p3, (unsigned long)p4, where);
}


void mk_vf_lint_result(ULONG rule, const void *obj, const void *result, void *site, const void *frame)
{
    /* The caller's frame lies above ours on this thread's stack; a caller
     * built without frame pointers may hand anything: then no note */
    uintptr_t here = (uintptr_t)__builtin_frame_address(0), f = (uintptr_t)frame;
    if (result || f <= here || f - here > ((uintptr_t)1 << 20) || (f & (sizeof(void *) - 1))) {
        lint_null.site = NULL;
        return;
    }
    lint_null.rule = rule;
    lint_null.obj = obj;
    lint_null.site = site;
    lint_null.fp = (uintptr_t)frame;
    lint_null.fp_ret = ((void *const *)frame)[1];
}

void mk_vf_null_fault(const void *addr, int write, void *pc, const void *sp, const void *fp)
{
    if (!lint_null.site || mk_rt.cfg.lint == MDLKIT_LINT_OFF)
        return;
    /* Walk the interrupted code's frame chain from its frame pointer up to
     * the noted frame: every frame between the faulting stack pointer and
     * that frame is live stack memory. */
    uintptr_t f = (uintptr_t)fp, lo = (uintptr_t)sp, want = lint_null.fp;
    int live = 0;
    for (int n = 0; n < 64 && f >= lo && f <= want && !(f & (sizeof(void *) - 1)); n++) {
        if (f == want) {
            live = ((void *const *)f)[1] == lint_null.fp_ret;
            break;
        }
        uintptr_t next = *(const uintptr_t *)f;
        if (next <= f)
            break;
        f = next;
    }
    if (!live)
        return;
    ULONG rule = lint_null.rule;
    const void *obj = lint_null.obj;
    void *site = lint_null.site;
    lint_null.site = NULL;
    char at[256], use[256];
    mk_symbolize(site, at, sizeof at);
    mk_symbolize(pc, use, sizeof use);
    if (mk_rt.cfg.lint == MDLKIT_LINT_FATAL)
        mk_bugcheck_note("lint: MmGetSystemAddressForMdl returned NULL for MDL %p at %s; the NULL was used at %s "
                         "(%s of %p)",
                         obj, at, use, write ? "write" : "read", addr);
    mk_vf_lint(rule,
               "MmGetSystemAddressForMdl returned NULL (MDL_MAPPING_CAN_FAIL) and the caller used it: test the "
               "result, or use MmGetSystemAddressForMdlSafe and fail the request on NULL",
               (ULONG_PTR)obj, (ULONG_PTR)site, site);
    if (!mk_rt.cfg.quiet) /* warn: the fault is then reported as usual */
        fprintf(stderr, "mdlkit lint: that NULL was used at %s (%s of %p)\n", use, write ? "write" : "read", addr);
}

ULONG mdlkit_lint_count(ULONG rule)
{
    if (rule == 0)
        return (ULONG)atomic_load(&lint_counts[0]);
    if ((rule & 0xFFFF0000UL) != 0x00A60000UL || (rule & 0xFFFF) == 0 || (rule & 0xFFFF) > LINT_RULES)
        return 0;
    return (ULONG)atomic_load(&lint_counts[rule & 0xFFFF]);
}
