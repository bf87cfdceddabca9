/*
 * fuzz_planted.c -- the fuzzer of fuzz/planted.c, the driver with planted
 * bugs, for the tests that the fuzzing runtime finds each of them from the
 * seeds within a fixed number of runs (fuzz/CMakeLists.txt, planted_*).
 * MDLKIT_PLANTED selects the bugs: overrun, underrun, uaf, mdl, leak or
 * all (names joined by ','; default all).
 *
 * Input: [fault byte when MDLKIT_FUZZ_FAULTS=1] then one device control's
 * input bytes (operation, 16-bit length, payload), sent METHOD_BUFFERED.
 * Seeds: fuzz/corpus/planted (fuzz/gen_example_seeds.py).
 */
#include <mdlkit.h>

#include <stdlib.h>
#include <string.h>

DRIVER_INITIALIZE PlantedDriverEntry;
extern ULONG PlantedBugs;

#define IOCTL_PLANTED CTL_CODE(FILE_DEVICE_UNKNOWN, 0x950, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FP_MAX_INPUT 4096

static HANDLE fp_handle;

static ULONG fp_bugs(void)
{
    static const struct {
        const char *name;
        ULONG bit;
    } names[] = {{"overrun", 0x01}, {"underrun", 0x02}, {"uaf", 0x04}, {"mdl", 0x08}, {"leak", 0x10}, {"all", 0x1F}};
    const char *v = getenv("MDLKIT_PLANTED");
    if (!v || !*v)
        return 0x1F;
    ULONG bits = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strstr(v, names[i].name))
            bits |= names[i].bit;
    return bits;
}

static NTSTATUS fp_entry(PDRIVER_OBJECT driver, PUNICODE_STRING reg)
{
    PlantedBugs = fp_bugs();
    return PlantedDriverEntry(driver, reg);
}

static int fp_setup(PDRIVER_OBJECT driver, void **ctx)
{
    (void)ctx;
    fp_handle = mdlkit_fuzz_open_device(driver->DeviceObject);
    return fp_handle ? 0 : -1;
}

static void fp_teardown(PDRIVER_OBJECT driver, void *ctx)
{
    (void)driver;
    (void)ctx;
    mdlkit_close(fp_handle);
}

static void fp_input(void *ctx, mdlkit_fuzz_data *in)
{
    (void)ctx;
    size_t n;
    const void *req = mdlkit_fuzz_take(in, FP_MAX_INPUT, &n);
    static UCHAR buf[FP_MAX_INPUT];
    if (n)
        memcpy(buf, req, n);
    ULONG_PTR info;
    (void)mdlkit_ioctl(fp_handle, IOCTL_PLANTED, buf, (ULONG)n, NULL, 0, &info);
}

static mdlkit_fuzz_target fp_target = {
    .driver_name = "planted",
    .driver_entry = fp_entry,
    .setup = fp_setup,
    .input = fp_input,
    .teardown = fp_teardown,
    .verifier_flags = MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_POOL_TRACKING,
};

MDLKIT_FUZZ_LIBFUZZER(fp_target)
