/* wpptrace.h -- the WPP configuration of the test driver wppdrv.c, written
 * the way WDK drivers write theirs (a control GUID with flag bits, a
 * begin_wpp config block with FUNC and USEPREFIX lines, and the
 * WPP_<conditions>_ENABLED/LOGGER macros the functions need). */
#ifndef WPPTRACE_H
#define WPPTRACE_H

#define WPP_CONTROL_GUIDS                                                        \
    WPP_DEFINE_CONTROL_GUID(WppTestGuid, (6a2d1f3e, 1234, 4a5b, 9c8d, 010203040506), \
                            WPP_DEFINE_BIT(TRACE_DRIVER)  /* bit 0 */          \
                            WPP_DEFINE_BIT(TRACE_QUEUE)   /* bit 1 */          \
                            WPP_DEFINE_BIT(TRACE_DEVICE)  /* bit 2 */          \
                            WPP_DEFINE_BIT(TRACE_LOUD)    /* bit 3 */          \
                            )

#define WPP_LEVEL_FLAGS_LOGGER(lvl, flags) WPP_LEVEL_LOGGER(flags)
#define WPP_LEVEL_FLAGS_ENABLED(lvl, flags) (WPP_LEVEL_ENABLED(flags) && WPP_CONTROL(WPP_BIT_##flags).Level >= lvl)
#define WPP_FLAG_LEVEL_LOGGER(flag, level) WPP_LEVEL_LOGGER(flag)
#define WPP_FLAG_LEVEL_ENABLED(flag, level) (WPP_LEVEL_ENABLED(flag) && WPP_CONTROL(WPP_BIT_##flag).Level >= level)

// begin_wpp config
// FUNC Trace{FLAG=TRACE_DRIVER}(LEVEL, MSG, ...);
// FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);
// USEPREFIX (TraceEvents, "%!FUNC!: ");
// FUNC FuncEntry{LEVEL=TRACE_LEVEL_ERROR}(FLAGS);
// USEPREFIX (FuncEntry, "--> %!FUNC!");
// end_wpp

#endif
