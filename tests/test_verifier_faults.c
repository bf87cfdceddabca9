/* Randomized low-resources simulation (verifier option 0x4): probability,
 * seed, tag filter, reproducibility, the DDIs it fails, the counters and
 * the report's log of injected faults. */
#include "testutil.h"

#include <mdlkit_usermode.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG 'tFvT'

static int init_faults(ULONG prob, ULONG seed, const char *tags)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_LOW_RESOURCES;
    c.fault_probability = prob;
    c.fault_seed = seed;
    c.fault_tags = tags;
    return mdlkit_init(&c);
}

/* Which of n allocations fail (bit string), freeing the others. */
static void pattern(char *out, int n, ULONG tag)
{
    for (int i = 0; i < n; i++) {
        void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 32 + i, tag);
        out[i] = p ? '1' : '0';
        if (p)
            ExFreePoolWithTag(p, tag);
    }
    out[n] = 0;
}

static void test_same_seed_same_failures(void **state)
{
    (void)state;
    enum { N = 400 };
    char a[N + 1], b[N + 1], c[N + 1];
    assert_int_equal(init_faults(2500, 42, NULL), 0);
    pattern(a, N, TAG);
    mdlkit_shutdown();
    assert_int_equal(init_faults(2500, 42, NULL), 0);
    pattern(b, N, TAG);
    mdlkit_shutdown();
    assert_int_equal(init_faults(2500, 43, NULL), 0);
    pattern(c, N, TAG);
    mdlkit_shutdown();
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    /* about 25% fail */
    int fails = 0;
    for (int i = 0; i < N; i++)
        fails += a[i] == '0';
    assert_true(fails > N / 8 && fails < N / 2);
}

static void test_probability_bounds(void **state)
{
    (void)state;
    char a[201];
    assert_int_equal(init_faults(10000, 1, NULL), 0);
    pattern(a, 200, TAG);
    assert_null(strchr(a, '1'));
    mdlkit_shutdown();
    assert_int_equal(init_faults(0, 1, NULL), 0);
    pattern(a, 200, TAG);
    assert_null(strchr(a, '0'));
    mdlkit_shutdown();
}

static void test_tag_filter(void **state)
{
    (void)state;
    /* 'a1tF' is "Ft1a" in memory, as poolmon prints it */
    assert_int_equal(init_faults(10000, 7, "Ft1*,Q?ux"), 0);
    char a[51];
    pattern(a, 50, 'a1tF');
    assert_null(strchr(a, '1'));
    pattern(a, 50, 'xuZQ');
    assert_null(strchr(a, '1'));
    pattern(a, 50, TAG); /* "TvFt" does not match */
    assert_null(strchr(a, '0'));
    mdlkit_shutdown();
}

static void test_ddis_fail(void **state)
{
    (void)state;
    assert_int_equal(init_faults(10000, 3, NULL), 0);
    char buf[64];
    assert_null(IoAllocateMdl(buf, sizeof buf, FALSE, FALSE, NULL));
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG));
    assert_null(ExAllocatePoolWithTag(PagedPool, 5000, TAG));
    /* POOL_FLAG_RAISE_ON_FAILURE turns the injected failure into an exception */
    volatile NTSTATUS st = 0;
    MDLKIT_TRY {
        ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, TAG);
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        st = GetExceptionCode();
    }
    MDLKIT_END;
    assert_int_equal(st, STATUS_INSUFFICIENT_RESOURCES);

    char path[] = "/tmp/mdlkit_vfl_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(mdlkit_report_write(path), 0);
    FILE *f = fopen(path, "r");
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    remove(path);
    assert_non_null(strstr(text, "\"routine\": \"IoAllocateMdl\""));
    assert_non_null(strstr(text, "\"routine\": \"ExAllocatePool*\", \"tag\": \"TvFt\""));
    const char *k = strstr(text, "\"resource_allocations_failed_deliberately\": ");
    assert_non_null(k);
    assert_int_equal(atoi(k + strlen("\"resource_allocations_failed_deliberately\": ")), 4);
    mdlkit_shutdown();
}

/* ---- the I/O manager's own allocations are not failed ----
 * Driver Verifier's low-resources simulation fails the verified drivers'
 * calls, not the I/O manager's: with every allocation failed, a user
 * request still reaches the driver (its IRP, system buffer and MDL are the
 * I/O manager's), and the driver's own allocation in its dispatch fails. */
#define FT_IOCTL_BUFFERED CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FT_IOCTL_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
static int g_ft_dispatched;
static NTSTATUS g_ft_alloc_result;

static NTSTATUS ft_complete(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = info;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS ft_create_close(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    return ft_complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS ft_ioctl(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    g_ft_dispatched++;
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG); /* the driver's own: failed */
    g_ft_alloc_result = p ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
    if (p)
        ExFreePoolWithTag(p, TAG);
    return ft_complete(irp, g_ft_alloc_result, 0);
}

static void ft_unload(PDRIVER_OBJECT drv)
{
    UNICODE_STRING link;
    RtlInitUnicodeString(&link, L"\\DosDevices\\MkFaultToy");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(drv->DeviceObject);
}

static NTSTATUS ft_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    UNICODE_STRING name;
    RtlInitUnicodeString(&name, L"\\Device\\MkFaultToy");
    PDEVICE_OBJECT dev;
    NTSTATUS st = IoCreateDevice(drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
    if (!NT_SUCCESS(st))
        return st;
    dev->Flags |= DO_BUFFERED_IO;
    drv->MajorFunction[IRP_MJ_CREATE] = ft_create_close;
    drv->MajorFunction[IRP_MJ_CLOSE] = ft_create_close;
    drv->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ft_ioctl;
    drv->DriverUnload = ft_unload;
    return STATUS_SUCCESS;
}

static void test_io_manager_allocations_not_failed(void **state)
{
    (void)state;
    assert_int_equal(init_faults(10000, 1, NULL), 0); /* every eligible call fails */
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("faulttoy", ft_entry, &drv), STATUS_SUCCESS);
    HANDLE h = mdlkit_open("\\Device\\MkFaultToy");
    assert_non_null(h);
    char in[32] = "input", out[32];
    ULONG_PTR info = 0;
    g_ft_dispatched = 0;
    assert_int_equal(mdlkit_ioctl(h, FT_IOCTL_BUFFERED, in, sizeof in, out, sizeof out, &info),
                     STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(mdlkit_ioctl(h, FT_IOCTL_DIRECT, in, sizeof in, out, sizeof out, &info),
                     STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(g_ft_dispatched, 2); /* both reached the driver */
    assert_int_equal(g_ft_alloc_result, STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    /* a call outside any driver, as a test's own code makes, is still failed */
    assert_null(ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG));
    mdlkit_driver_unload(drv);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_same_seed_same_failures),
        cmocka_unit_test(test_probability_bounds),
        cmocka_unit_test(test_tag_filter),
        cmocka_unit_test(test_ddis_fail),
        cmocka_unit_test(test_io_manager_allocations_not_failed),
    };
    return cmocka_run_group_tests_name("low resources simulation", t, NULL, NULL);
}
