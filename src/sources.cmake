# sources.cmake -- the library's source files, by layer (docs/layout.md),
# bottom up. A new file is added here; tests/script_sources.sh fails when a
# file under src/ is missing from this list or a listed one does not exist.
set(MDLKIT_SOURCES
  # machine/
  ${CMAKE_SOURCE_DIR}/src/machine/addrspace.c
  ${CMAKE_SOURCE_DIR}/src/machine/fault.c
  ${CMAKE_SOURCE_DIR}/src/machine/forksafe.c
  ${CMAKE_SOURCE_DIR}/src/machine/hooks.c
  ${CMAKE_SOURCE_DIR}/src/machine/physmem.c
  ${CMAKE_SOURCE_DIR}/src/machine/usermem.c
  # rtl/
  ${CMAKE_SOURCE_DIR}/src/rtl/ansi.c
  ${CMAKE_SOURCE_DIR}/src/rtl/bitmap.c
  ${CMAKE_SOURCE_DIR}/src/rtl/format.c
  ${CMAKE_SOURCE_DIR}/src/rtl/memory.c
  ${CMAKE_SOURCE_DIR}/src/rtl/random.c
  ${CMAKE_SOURCE_DIR}/src/rtl/slist.c
  ${CMAKE_SOURCE_DIR}/src/rtl/strsafe.c
  ${CMAKE_SOURCE_DIR}/src/rtl/unicode.c
  ${CMAKE_SOURCE_DIR}/src/rtl/wcs.c
  ${CMAKE_SOURCE_DIR}/src/rtl/version.c
  # ke/
  ${CMAKE_SOURCE_DIR}/src/ke/bugcheck.c
  ${CMAKE_SOURCE_DIR}/src/ke/bugdesc.c
  ${CMAKE_SOURCE_DIR}/src/ke/debug.c
  ${CMAKE_SOURCE_DIR}/src/ke/dpc.c
  ${CMAKE_SOURCE_DIR}/src/ke/event.c
  ${CMAKE_SOURCE_DIR}/src/ke/except.c
  ${CMAKE_SOURCE_DIR}/src/ke/irql.c
  ${CMAKE_SOURCE_DIR}/src/ke/names.c
  ${CMAKE_SOURCE_DIR}/src/ke/queuedlock.c
  ${CMAKE_SOURCE_DIR}/src/ke/spinlock.c
  ${CMAKE_SOURCE_DIR}/src/ke/thread.c
  ${CMAKE_SOURCE_DIR}/src/ke/time.c
  ${CMAKE_SOURCE_DIR}/src/ke/timer.c
  ${CMAKE_SOURCE_DIR}/src/ke/wait.c
  # mm/
  ${CMAKE_SOURCE_DIR}/src/mm/contmem.c
  ${CMAKE_SOURCE_DIR}/src/mm/expool.c
  ${CMAKE_SOURCE_DIR}/src/mm/lookas.c
  ${CMAKE_SOURCE_DIR}/src/mm/mdllock.c
  ${CMAKE_SOURCE_DIR}/src/mm/mdlmap.c
  ${CMAKE_SOURCE_DIR}/src/mm/mdlmem.c
  ${CMAKE_SOURCE_DIR}/src/mm/mdlpages.c
  ${CMAKE_SOURCE_DIR}/src/mm/mdlsup.c
  ${CMAKE_SOURCE_DIR}/src/mm/mmsup.c
  ${CMAKE_SOURCE_DIR}/src/mm/poolbig.c
  ${CMAKE_SOURCE_DIR}/src/mm/poolpage.c
  ${CMAKE_SOURCE_DIR}/src/mm/poolseg.c
  ${CMAKE_SOURCE_DIR}/src/mm/poolsmall.c
  ${CMAKE_SOURCE_DIR}/src/mm/pooltag.c
  ${CMAKE_SOURCE_DIR}/src/mm/pooltcache.c
  ${CMAKE_SOURCE_DIR}/src/mm/probe.c
  ${CMAKE_SOURCE_DIR}/src/mm/userbuf.c
  # ex/
  ${CMAKE_SOURCE_DIR}/src/ex/exworkitem.c
  ${CMAKE_SOURCE_DIR}/src/ex/fastmutex.c
  ${CMAKE_SOURCE_DIR}/src/ex/list.c
  ${CMAKE_SOURCE_DIR}/src/ex/resource.c
  ${CMAKE_SOURCE_DIR}/src/ex/uuid.c
  # ob/
  ${CMAKE_SOURCE_DIR}/src/ob/obcallbk.c
  ${CMAKE_SOURCE_DIR}/src/ob/obevent.c
  ${CMAKE_SOURCE_DIR}/src/ob/obhandle.c
  ${CMAKE_SOURCE_DIR}/src/ob/obref.c
  # ps/
  ${CMAKE_SOURCE_DIR}/src/ps/psnotify.c
  ${CMAKE_SOURCE_DIR}/src/ps/psthread.c
  ${CMAKE_SOURCE_DIR}/src/ps/psversion.c
  # hal/
  ${CMAKE_SOURCE_DIR}/src/hal/pci.c
  ${CMAKE_SOURCE_DIR}/src/hal/sysdma.c
  # dev/
  ${CMAKE_SOURCE_DIR}/src/dev/virtio_blk.c
  # io/
  ${CMAKE_SOURCE_DIR}/src/io/cancel.c
  ${CMAKE_SOURCE_DIR}/src/io/csq.c
  ${CMAKE_SOURCE_DIR}/src/io/device.c
  ${CMAKE_SOURCE_DIR}/src/io/dma.c
  ${CMAKE_SOURCE_DIR}/src/io/driver.c
  ${CMAKE_SOURCE_DIR}/src/io/file.c
  ${CMAKE_SOURCE_DIR}/src/io/iobuild.c
  ${CMAKE_SOURCE_DIR}/src/io/iomdl.c
  ${CMAKE_SOURCE_DIR}/src/io/irp.c
  ${CMAKE_SOURCE_DIR}/src/io/obname.c
  ${CMAKE_SOURCE_DIR}/src/io/remlock.c
  ${CMAKE_SOURCE_DIR}/src/io/pnp.c
  ${CMAKE_SOURCE_DIR}/src/io/userio.c
  ${CMAKE_SOURCE_DIR}/src/io/workitem.c
  # port/
  ${CMAKE_SOURCE_DIR}/src/port/portcommon.c
  # port/ndis/
  ${CMAKE_SOURCE_DIR}/src/port/ndis/config.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/filter.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/datapath.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/miniport.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/nbl.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/ndisintr.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/ndisdev.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/ndislock.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/ndismem.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/ndistimer.c
  ${CMAKE_SOURCE_DIR}/src/port/ndis/oid.c
  # port/storport/
  ${CMAKE_SOURCE_DIR}/src/port/storport/adapter.c
  ${CMAKE_SOURCE_DIR}/src/port/storport/extended.c
  ${CMAKE_SOURCE_DIR}/src/port/storport/memory.c
  ${CMAKE_SOURCE_DIR}/src/port/storport/misc.c
  ${CMAKE_SOURCE_DIR}/src/port/storport/registers.c
  ${CMAKE_SOURCE_DIR}/src/port/storport/registry.c
  ${CMAKE_SOURCE_DIR}/src/port/storport/sg.c
  ${CMAKE_SOURCE_DIR}/src/port/storport/srb.c
  ${CMAKE_SOURCE_DIR}/src/port/storport/sync.c
  # verifier/
  ${CMAKE_SOURCE_DIR}/src/verifier/codeint.c
  ${CMAKE_SOURCE_DIR}/src/verifier/counters.c
  ${CMAKE_SOURCE_DIR}/src/verifier/faults.c
  ${CMAKE_SOURCE_DIR}/src/verifier/irqlforce.c
  ${CMAKE_SOURCE_DIR}/src/verifier/leaks.c
  ${CMAKE_SOURCE_DIR}/src/verifier/lint.c
  ${CMAKE_SOURCE_DIR}/src/verifier/misc.c
  ${CMAKE_SOURCE_DIR}/src/verifier/report.c
  ${CMAKE_SOURCE_DIR}/src/verifier/security.c
  ${CMAKE_SOURCE_DIR}/src/verifier/specpool.c
  ${CMAKE_SOURCE_DIR}/src/verifier/tracking.c
  ${CMAKE_SOURCE_DIR}/src/verifier/verifier.c
  # rt/
  ${CMAKE_SOURCE_DIR}/src/rt/fuzz.c
  ${CMAKE_SOURCE_DIR}/src/rt/fuzzasan.c
  ${CMAKE_SOURCE_DIR}/src/rt/options.c
  ${CMAKE_SOURCE_DIR}/src/rt/runtime.c
)
