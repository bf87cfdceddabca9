/*
 * mdlkit_fuzz.h -- fuzzing a driver's IOCTL, receive or SRB path with
 * libFuzzer or AFL++ (docs/fuzzing.md). A sub-header of mdlkit.h.
 *
 * The harness names its driver (DriverEntry), a setup routine that runs
 * once after the driver is loaded (open a handle, start an adapter,
 * register driver state to snapshot) and a per-input routine. For every
 * input mdlkit then:
 *   1. restores the driver's registered state (device extension, globals)
 *      from the snapshot taken after setup;
 *   2. chooses, when MDLKIT_FUZZ_FAULTS is on, which one allocation,
 *      mapping or lock call of this input fails (the input's first byte);
 *   3. runs the per-input routine with a data provider over the input;
 *   4. checks that the input left nothing behind (pool per tag, frames,
 *      mappings, address space, IRQL): with Pool Tracking a leak is bug
 *      check 0xC4/0x62; without it the machine is rebuilt so the next input
 *      starts from the state after setup again;
 * and a bug check inside the input becomes a crash: the report on stderr,
 * one signature line (code, P1, innermost driver frame, and the call an
 * injected fault failed), then abort(), which libFuzzer and AFL++ record.
 */
#ifndef MDLKIT_FUZZ_H
#define MDLKIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

MDLKIT_EXTERN_C_BEGIN

/* ------------------------------------------------------------------------
 * The data provider: typed values taken from the front of the input. When
 * the input runs out every routine returns zeros (an empty buffer, the
 * lowest value of a range, the first choice), so any input is valid.
 * Integers are read little-endian.
 * ---------------------------------------------------------------------- */
typedef struct mdlkit_fuzz_data {
    const UCHAR *data;
    size_t size;
    size_t pos;
} mdlkit_fuzz_data;

void mdlkit_fuzz_data_init(mdlkit_fuzz_data *d, const void *data, size_t size);
size_t mdlkit_fuzz_remaining(const mdlkit_fuzz_data *d);
UCHAR mdlkit_fuzz_u8(mdlkit_fuzz_data *d);
USHORT mdlkit_fuzz_u16(mdlkit_fuzz_data *d);
ULONG mdlkit_fuzz_u32(mdlkit_fuzz_data *d);
ULONG64 mdlkit_fuzz_u64(mdlkit_fuzz_data *d);
BOOLEAN mdlkit_fuzz_bool(mdlkit_fuzz_data *d);
/* A value in [lo, hi] (inclusive; lo when lo >= hi), from as few bytes as
 * the range needs. */
ULONG64 mdlkit_fuzz_range(mdlkit_fuzz_data *d, ULONG64 lo, ULONG64 hi);
/* An index in [0, n) (0 when n is 0 or 1). */
size_t mdlkit_fuzz_choose(mdlkit_fuzz_data *d, size_t n);
/* One of values[0..n) (0 when n is 0). */
ULONG mdlkit_fuzz_pick(mdlkit_fuzz_data *d, const ULONG *values, size_t n);
/* Copies the next `len` input bytes into buf; when the input has fewer,
 * the rest of buf is zeroed. Returns how many bytes came from the input. */
size_t mdlkit_fuzz_bytes(mdlkit_fuzz_data *d, void *buf, size_t len);
/* The next `len` bytes in place (fewer when the input runs out: *got says
 * how many; NULL when none). */
const void *mdlkit_fuzz_take(mdlkit_fuzz_data *d, size_t len, size_t *got);
/* Everything left, in place. */
const void *mdlkit_fuzz_rest(mdlkit_fuzz_data *d, size_t *got);

/* ------------------------------------------------------------------------
 * The target
 * ---------------------------------------------------------------------- */
/* Options (mdlkit_fuzz_target.options; env MDLKIT_FUZZ_FAULTS=0/1 overrides
 * the first). */
#define MDLKIT_FUZZ_FAULTS 0x1u /* the input's first byte n fails the n-th fault-eligible call (0 = none) */
/* Set by the runtime itself when the process runs under AddressSanitizer
 * (env MDLKIT_FUZZ_ASAN=0 turns it off): pool blocks get redzones, freed
 * blocks are poisoned, bytes of MDL system mappings outside the MDL are
 * poisoned (with Pool Tracking), so ASan reports overruns, under-runs, uses
 * after free and MDL over-reads at the faulting instruction. */
#define MDLKIT_FUZZ_ASAN 0x2u

typedef struct mdlkit_fuzz_target {
    const char *driver_name;     /* as for mdlkit_driver_load */
    PDRIVER_INITIALIZE driver_entry;
    /* Once, after the driver loaded: open handles, start adapters, call
     * mdlkit_fuzz_snapshot. *ctx is handed to `input`. 0 = ready. Bug
     * checks here are not fuzzing crashes: they abort as usual. May be NULL. */
    int (*setup)(PDRIVER_OBJECT driver, void **ctx);
    /* One input. May be NULL only in tests of the runtime. */
    void (*input)(void *ctx, mdlkit_fuzz_data *in);
    /* Before the machine is rebuilt or stopped: close what setup opened
     * (stop adapters, close handles; the driver is then unloaded). May be NULL. */
    void (*teardown)(PDRIVER_OBJECT driver, void *ctx);
    ULONG verifier_flags;        /* MDLKIT_VERIFY_*; env MDLKIT_VERIFIER overrides */
    ULONG options;               /* MDLKIT_FUZZ_* */
    size_t physical_memory;      /* 0: 64 MiB (env MDLKIT_PHYS_MB overrides) */
} mdlkit_fuzz_target;

/* Starts the machine (quiet = 0: bug-check reports on stderr), loads the
 * driver, runs setup and takes the snapshot. Call once (from
 * LLVMFuzzerInitialize or the first input). 0 on success, -1 with a
 * message on stderr. The target must stay valid until mdlkit_fuzz_stop. */
int mdlkit_fuzz_start(const mdlkit_fuzz_target *target);
/* Runs one input as described at the top. Returns 0 (the libFuzzer
 * convention); a crash does not return. */
int mdlkit_fuzz_one(const void *data, size_t size);
/* Tears down (teardown, driver unload with its leak checks, shutdown). */
void mdlkit_fuzz_stop(void);

/* Registers `bytes` of driver state at p (a device extension, a global, a
 * miniport's adapter context) to be restored before every input to what it
 * held when setup returned. Call from setup (up to 64 regions). 0, or -1
 * when p is NULL, bytes is 0 or the table is full. */
int mdlkit_fuzz_snapshot(void *p, size_t bytes);
/* The same for the whole live pool block that holds p (an adapter context,
 * a miniport's per-adapter state): 0, or -1 when p is not in a live block. */
int mdlkit_fuzz_snapshot_pool(const void *p);
/* The same for the device extension of every device object the driver has
 * created (DEVICE_OBJECT.Size - sizeof(DEVICE_OBJECT) bytes each). Returns
 * the number of extensions registered, or -1 when the table is full. */
int mdlkit_fuzz_snapshot_devices(PDRIVER_OBJECT driver);

/* A handle on a device object, as mdlkit_open gives for a named one
 * (IRP_MJ_CREATE sent, UserMode): for drivers whose devices have no name.
 * Use it with mdlkit_ioctl / mdlkit_read / mdlkit_write / mdlkit_close.
 * NULL if the driver failed the create (or not at PASSIVE_LEVEL). */
HANDLE mdlkit_fuzz_open_device(PDEVICE_OBJECT dev);

/* What the runtime did (for benchmarks and tests). */
typedef struct mdlkit_fuzz_stats {
    ULONG64 inputs;          /* inputs run */
    ULONG64 rebuilds;        /* machine rebuilt after an input left something behind */
    ULONG64 faults_injected; /* calls failed by input-chosen faults */
    ULONG64 snapshot_bytes;  /* bytes restored per input */
} mdlkit_fuzz_stats;
void mdlkit_fuzz_get_stats(mdlkit_fuzz_stats *out);

/* libFuzzer's entry points for a target, in one line:
 *   MDLKIT_FUZZ_LIBFUZZER(my_target)
 * defines LLVMFuzzerInitialize (starts the target: the machine is up before
 * an AFL++ fork server or libFuzzer forks) and LLVMFuzzerTestOneInput. */
#define MDLKIT_FUZZ_LIBFUZZER(target)                                                   \
    int LLVMFuzzerInitialize(int *argc_, char ***argv_);                                 \
    int LLVMFuzzerTestOneInput(const uint8_t *data_, size_t size_);                      \
    int LLVMFuzzerInitialize(int *argc_, char ***argv_)                                  \
    {                                                                                    \
        (void)argc_;                                                                     \
        (void)argv_;                                                                     \
        if (mdlkit_fuzz_start(&(target)) != 0)                                           \
            abort();                                                                     \
        return 0;                                                                        \
    }                                                                                    \
    int LLVMFuzzerTestOneInput(const uint8_t *data_, size_t size_)                       \
    {                                                                                    \
        return mdlkit_fuzz_one(data_, size_);                                            \
    }

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_FUZZ_H */
