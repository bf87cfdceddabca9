/*
 * model.h -- the reference model the DDI sequence fuzzer checks mdlkit
 * against (docs/reliability.md "The model").
 *
 * The model knows, for every object the fuzzer created, what Windows
 * documents about it: which buffer an MDL describes, whether it is built,
 * locked, mapped (and where), which bytes every buffer holds (a shadow
 * copy), and the current IRQL. Before each call it predicts one outcome:
 * success, a raised status, or a bug check with its code and four
 * parameters. The fuzzer makes the call and compares.
 */
#ifndef MDLKIT_FUZZ_MODEL_H
#define MDLKIT_FUZZ_MODEL_H

#include <mdlkit.h>
#include <stddef.h>
#include <stdint.h>

/* ---- what a call is expected to do ---- */
enum mdl_expect_kind { EXP_OK = 0, EXP_RAISE, EXP_BUGCHECK };
#define EXP_ANY ((ULONG_PTR)0xA11A11A11A11A11AULL) /* parameter not predicted */

typedef struct model_expect {
    int kind;          /* enum mdl_expect_kind */
    NTSTATUS status;   /* EXP_RAISE */
    ULONG code;        /* EXP_BUGCHECK */
    ULONG_PTR p[4];
} model_expect;

static inline model_expect exp_ok(void) { model_expect e = {EXP_OK, 0, 0, {0, 0, 0, 0}}; return e; }
static inline model_expect exp_raise(NTSTATUS s) { model_expect e = {EXP_RAISE, s, 0, {0, 0, 0, 0}}; return e; }
static inline model_expect exp_bc(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4)
{
    model_expect e = {EXP_BUGCHECK, 0, code, {p1, p2, p3, p4}};
    return e;
}

/* ---- objects ---- */
enum model_buf_kind { BUF_NONE = 0, BUF_POOL, BUF_USER, BUF_STOR, BUF_NDIS };

#define MODEL_BUFS 8
#define MODEL_MDLS 10
#define MODEL_PAGEMDLS 3
#define MODEL_STOR_MDLS 2

typedef struct model_buf {
    int kind;            /* enum model_buf_kind, BUF_NONE = free slot */
    unsigned char *va;
    size_t len;
    ULONG tag;
    int paged;           /* pool: PagedPool */
    POOL_TYPE type;      /* pool: the type bug checks report */
    ULONG prot;          /* user: PAGE_* */
    unsigned char *shadow; /* what the buffer holds */
    int refs;            /* MDLs describing it */
    uint32_t trimmed;    /* Force IRQL Checking, paged pool at DISPATCH_LEVEL: bit i = page i of the
                          * buffer (from PAGE_ALIGN(va)) was trimmed at the raise (model_set_irql) */
} model_buf;

enum model_mdl_state { MS_NONE = 0, MS_ALLOC, MS_BUILT, MS_LOCKED, MS_UNLOCKED, MS_PARTIAL };

typedef struct model_mdl {
    int state;           /* enum model_mdl_state, MS_NONE = free slot */
    PMDL mdl;
    int buf;             /* model_buf index */
    size_t off;          /* start of the described range in the buffer */
    ULONG len;
    int parent;          /* MS_PARTIAL: index of the source MDL */
    int children;        /* partial MDLs built from this one */
    unsigned char *sysva;  /* system address handed out (MmGetSystemAddressForMdlSafe), or NULL */
    int own_map;         /* sysva is a mapping this MDL must release */
    unsigned char *uva;  /* user-mode mapping, or NULL */
} model_mdl;

typedef struct model_pagemdl {
    PMDL mdl;            /* NULL = free slot */
    size_t len;          /* ByteCount */
    unsigned char *sysva;
    unsigned char *shadow;
} model_pagemdl;

typedef struct model {
    ULONG verifier;      /* mdlkit_config.verifier_flags the machine runs with */
    KIRQL irql;
    model_buf buf[MODEL_BUFS];
    model_mdl mdl[MODEL_MDLS];
    model_pagemdl pg[MODEL_PAGEMDLS];
    PVOID stor_mdl[MODEL_STOR_MDLS];
    int stor_mdl_buf[MODEL_STOR_MDLS];
} model;

/* Forgets every object; `verifier` is the machine's verifier_flags (some
 * outcomes differ with Driver Verifier on: docs/ddi-notes.md "Automatic
 * checks", docs/verifier.md). */
void model_reset(model *m, ULONG verifier);
/* KeRaiseIrql / KeLowerIrql to `to`. Under Force IRQL Checking (0x2) a
 * raise to DISPATCH_LEVEL trims every paged-pool page that no locked MDL
 * holds (docs/verifier.md): the model notes which pages of each paged pool
 * buffer that leaves inaccessible until the IRQL drops again. */
void model_set_irql(model *m, KIRQL to);
/* Offset of the first byte of [off, off+len) of b that lies on a page
 * trimmed at the current DISPATCH_LEVEL (Force IRQL Checking), or SIZE_MAX
 * when that range may be touched through the buffer's own address. */
size_t model_first_trimmed(const model *m, const model_buf *b, size_t off, size_t len);
/* The outcome of touching bytes [off, off+len) of b through its own
 * address, in order: success, or 0xD1 (the first byte on a trimmed page,
 * IRQL, 0 read / 1 write, instruction). */
model_expect model_touch(const model *m, const model_buf *b, size_t off, size_t len, int write);
/* Shadow helpers. */
void model_buf_set(model_buf *b, size_t off, const unsigned char *src, size_t n);
/* Compares n bytes at `alias` with the shadow of b at off; 0 if equal. On a
 * mismatch prints what differs (where) and returns -1. */
int model_check(const char *what, const unsigned char *alias, const unsigned char *shadow, size_t n);

/* ---- predictions (all parameters as documented / docs/ddi-notes.md) ---- */
model_expect model_pool_alloc(const model *m, POOL_TYPE type, int paged, SIZE_T bytes, ULONG tag);
model_expect model_pool_free(const model *m, const model_buf *b, ULONG tag_used, int double_free);
model_expect model_probe(const model *m, const model_mdl *d, const model_buf *b, KPROCESSOR_MODE mode,
                         LOCK_OPERATION op);
/* MmBuildMdlForNonPagedPool of d (an allocated MDL; `flags` its MdlFlags). */
model_expect model_build(const model *m, const model_mdl *d, const model_buf *b, USHORT flags);
model_expect model_unlock(const model *m, const model_mdl *d);
model_expect model_map_user(const model *m, const model_mdl *d);
model_expect model_map_kernel_again(const model *m, const model_mdl *d);
model_expect model_free_mdl(const model *m, const model_mdl *d);
model_expect model_partial(const model *m, const model_mdl *src, size_t off, ULONG len, PMDL target);
/* MmAllocatePagesForMdlEx / MmFreePagesFromMdl (routine: the DDI called). */
model_expect model_pages_irql(const model *m, ULONG_PTR routine);

#endif
