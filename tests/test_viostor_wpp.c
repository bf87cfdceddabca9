/* test_viostor_wpp: test_viostor's tests on viostor's WPP (free) build
 * (tests/test_viostor_wpp.cmake), its traces captured: each one must come
 * through DbgPrintEx with the configuration's prefix ("%!STDPREFIX!
 * %!FUNC!") and the message's arguments formatted. */
#define main mdlkit_test_viostor_main
#include "test_viostor.c"
#undef main

static char wpp_text[1 << 16];
static size_t wpp_used;
static int wpp_lines;

static void wpp_capture(void *ctx, ULONG component, ULONG level, const char *text)
{
    (void)ctx;
    (void)level;
    if (component != DPFLTR_IHVDRIVER_ID)
        return;
    size_t n = strlen(text);
    if (wpp_used + n + 1 < sizeof wpp_text) {
        memcpy(wpp_text + wpp_used, text, n + 1);
        wpp_used += n;
    }
    wpp_lines++;
}

int main(void)
{
    setenv("MDLKIT_DBGPRINT", "ihvdriver=all", 0); /* every trace level shown (read at mdlkit_init) */
    mdlkit_dbgprint_capture(wpp_capture, NULL);
    int failed = mdlkit_test_viostor_main();
#ifdef MDLKIT_HAVE_VIOSTOR
    if (failed)
        return failed;
    /* DriverEntry's trace after WPP_INIT_TRACING, with the prefix */
    const char *hit = strstr(wpp_text, "virtio_stor.c(");
    if (!hit || !strstr(wpp_text, "DriverEntry Initialize returned 0x0\n")) {
        fprintf(stderr, "test_viostor_wpp: the WPP traces did not arrive (%d lines):\n%.2000s\n", wpp_lines,
                wpp_text);
        return 1;
    }
    /* the message before the first WPP_INIT_TRACING is not traced, as with
     * WPP (later loads of the driver find its control block still on: the
     * driver image, and so its WPP globals, stay in the process) */
    const char *early = strstr(wpp_text, "Viostor driver started");
    if (early && early < strstr(wpp_text, "DriverEntry Initialize returned")) {
        fprintf(stderr, "test_viostor_wpp: a trace before WPP_INIT_TRACING was printed\n");
        return 1;
    }
    printf("test_viostor_wpp: %d WPP trace lines through DbgPrintEx\n", wpp_lines);
#endif
    return failed;
}
