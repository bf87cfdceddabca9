/*
 * mkwdk/sal.h -- part of mdlkit's WDK headers, included by <ntdef.h> (and so
 * by <wdm.h>); not meant to be included directly.
 *
 * SAL: the source-code annotation language of Microsoft's code analyser.
 * For every compiler but MSVC's /analyze the annotations mean nothing, so
 * each one here expands to nothing (or, for the few that appear where C
 * needs a token, to something harmless). The names come from the SAL 2.0
 * documentation, the driver-specific (_IRQL_*, _Kernel_*, __drv_*) set and
 * the older SAL 1 (__in, __out, ...) spelling still found in drivers.
 */
#ifndef MDLKIT_MKWDK_SAL_H
#define MDLKIT_MKWDK_SAL_H

/* ---- parameters: input ---- */
#define _In_
#define _In_opt_
#define _In_z_
#define _In_opt_z_
#define _In_reads_(n)
#define _In_reads_opt_(n)
#define _In_reads_bytes_(n)
#define _In_reads_bytes_opt_(n)
#define _In_reads_z_(n)
#define _In_reads_opt_z_(n)
#define _In_reads_or_z_(n)
#define _In_reads_or_z_opt_(n)
#define _In_reads_to_ptr_(p)
#define _In_reads_to_ptr_opt_(p)
#define _In_reads_to_ptr_z_(p)
#define _In_reads_to_ptr_opt_z_(p)
#define _In_range_(lo, hi)
#define _In_defensive_(a)
#define _In_NLS_string_(n)
#define _In_bound_
#define _In_z_bytecount_(n)

/* ---- parameters: output ---- */
#define _Out_
#define _Out_opt_
#define _Out_writes_(n)
#define _Out_writes_opt_(n)
#define _Out_writes_bytes_(n)
#define _Out_writes_bytes_opt_(n)
#define _Out_writes_z_(n)
#define _Out_writes_opt_z_(n)
#define _Out_writes_to_(n, c)
#define _Out_writes_to_opt_(n, c)
#define _Out_writes_bytes_to_(n, c)
#define _Out_writes_bytes_to_opt_(n, c)
#define _Out_writes_all_(n)
#define _Out_writes_all_opt_(n)
#define _Out_writes_bytes_all_(n)
#define _Out_writes_bytes_all_opt_(n)
#define _Out_writes_to_ptr_(p)
#define _Out_writes_to_ptr_opt_(p)
#define _Out_writes_to_ptr_z_(p)
#define _Out_writes_to_ptr_opt_z_(p)
#define _Out_range_(lo, hi)
#define _Out_z_cap_(n)
#define _Out_bound_
#define _Out_defensive_(a)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_opt_result_maybenull_
#define _Outptr_result_z_
#define _Outptr_opt_result_z_
#define _Outptr_result_maybenull_z_
#define _Outptr_opt_result_maybenull_z_
#define _Outptr_result_nullonfailure_
#define _Outptr_opt_result_nullonfailure_
#define _Outptr_result_buffer_(n)
#define _Outptr_opt_result_buffer_(n)
#define _Outptr_result_buffer_maybenull_(n)
#define _Outptr_result_buffer_to_(n, c)
#define _Outptr_result_bytebuffer_(n)
#define _Outptr_opt_result_bytebuffer_(n)
#define _Outptr_result_bytebuffer_maybenull_(n)
#define _Outptr_result_bytebuffer_to_(n, c)
#define _Outptr_result_buffer_all_(n)
#define _Outptr_result_bytebuffer_all_(n)
#define _COM_Outptr_
#define _COM_Outptr_opt_
#define _COM_Outptr_result_maybenull_
#define _COM_Outptr_opt_result_maybenull_
#define _Outref_
#define _Outref_result_maybenull_
#define _Outref_result_buffer_(n)
#define _Outref_result_bytebuffer_(n)
#define _Result_nullonfailure_
#define _Result_zeroonfailure_

/* ---- parameters: input and output ---- */
#define _Inout_
#define _Inout_opt_
#define _Inout_z_
#define _Inout_opt_z_
#define _Inout_updates_(n)
#define _Inout_updates_opt_(n)
#define _Inout_updates_z_(n)
#define _Inout_updates_opt_z_(n)
#define _Inout_updates_to_(n, c)
#define _Inout_updates_to_opt_(n, c)
#define _Inout_updates_all_(n)
#define _Inout_updates_all_opt_(n)
#define _Inout_updates_bytes_(n)
#define _Inout_updates_bytes_opt_(n)
#define _Inout_updates_bytes_to_(n, c)
#define _Inout_updates_bytes_to_opt_(n, c)
#define _Inout_updates_bytes_all_(n)
#define _Inout_updates_bytes_all_opt_(n)
#define _Inout_defensive_(a)
#define _Deref_out_
#define _Deref_out_opt_
#define _Deref_opt_out_
#define _Deref_opt_out_opt_
#define _Deref_out_z_
#define _Deref_inout_z_
#define _Deref_out_range_(lo, hi)
#define _Deref_in_range_(lo, hi)
#define _Deref_inout_range_(lo, hi)
#define _Deref_pre_readonly_
#define _Deref_post_null_
#define _Deref_post_opt_valid_

/* ---- return values ---- */
#define _Ret_
#define _Ret_z_
#define _Ret_maybenull_
#define _Ret_maybenull_z_
#define _Ret_notnull_
#define _Ret_null_
#define _Ret_valid_
#define _Ret_range_(lo, hi)
#define _Ret_writes_(n)
#define _Ret_writes_z_(n)
#define _Ret_writes_bytes_(n)
#define _Ret_writes_maybenull_(n)
#define _Ret_writes_maybenull_z_(n)
#define _Ret_writes_bytes_maybenull_(n)
#define _Ret_writes_to_(n, c)
#define _Ret_writes_bytes_to_(n, c)
#define _Ret_writes_to_maybenull_(n, c)
#define _Ret_writes_bytes_to_maybenull_(n, c)
#define _Ret_opt_bytecap_(n)
#define _Ret_bytecap_(n)
#define _Must_inspect_result_
#define _Check_return_
#define _Return_type_success_(e)
#define _Success_(e)
#define _On_failure_(a)
#define _Always_(a)

/* ---- pre/post conditions and general forms ---- */
#define _When_(c, a)
#define _At_(e, a)
#define _At_buffer_(e, i, n, a)
#define _Group_(a)
#define _Pre_
#define _Post_
#define _Pre_valid_
#define _Post_valid_
#define _Pre_opt_valid_
#define _Pre_invalid_
#define _Post_invalid_
#define _Post_ptr_invalid_
#define _Pre_null_
#define _Post_null_
#define _Pre_notnull_
#define _Post_notnull_
#define _Pre_maybenull_
#define _Post_maybenull_
#define _Pre_z_
#define _Post_z_
#define _Pre_unknown_
#define _Pre_defensive_
#define _Post_defensive_
#define _Pre_readonly_
#define _Pre_satisfies_(e)
#define _Post_satisfies_(e)
#define _Pre_equal_to_(e)
#define _Post_equal_to_(e)
#define _Pre_readable_size_(n)
#define _Pre_writable_size_(n)
#define _Pre_readable_byte_size_(n)
#define _Pre_writable_byte_size_(n)
#define _Post_readable_size_(n)
#define _Post_writable_size_(n)
#define _Post_readable_byte_size_(n)
#define _Post_writable_byte_size_(n)
#define _Pre_cap_(n)
#define _Pre_bytecap_(n)
#define _Post_cap_(n)
#define _Post_bytecap_(n)
#define _Unchanged_(e)
#define _Satisfies_(e)
#define _Readable_bytes_(n)
#define _Writable_bytes_(n)
#define _Readable_elements_(n)
#define _Writable_elements_(n)
#define _Null_
#define _Notnull_
#define _Maybenull_
#define _Valid_
#define _Notvalid_
#define _Const_
#define _Null_terminated_
#define _NullNull_terminated_
#define _Nullterm_length_(n)
#define _Reserved_
#define _Printf_format_string_
#define _Printf_format_string_params_(n)
#define _Scanf_format_string_
#define _Scanf_s_format_string_
#define _Format_string_impl_(k, p)
#define _Literal_
#define _Notliteral_
#define _Points_to_data_
#define _Strict_type_match_
#define _Interlocked_operand_
#define _Inexpressible_(e)
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _Post_equals_last_error_
#define _Enum_is_bitflag_
#define _Raises_SEH_exception_
#define _Maybe_raises_SEH_exception_
#define _Analysis_noreturn_
#define _Analysis_assume_(e)
#define _Analysis_assume_nullterminated_(p)
#define _Analysis_suppress_lock_checking_(l)
/* Used at file scope followed by ';' (`_Analysis_mode_(x);`): a harmless
 * declaration keeps that ';' legal C. */
#define _Analysis_mode_(m) extern int mdlkit_sal_analysis_mode_
#define _Use_decl_annotations_
#define _Check_return_opt_
#define _Struct_size_bytes_(n)
#define _Field_size_(n)
#define _Field_size_opt_(n)
#define _Field_size_part_(n, c)
#define _Field_size_part_opt_(n, c)
#define _Field_size_full_(n)
#define _Field_size_full_opt_(n)
#define _Field_size_bytes_(n)
#define _Field_size_bytes_opt_(n)
#define _Field_size_bytes_part_(n, c)
#define _Field_size_bytes_part_opt_(n, c)
#define _Field_size_bytes_full_(n)
#define _Field_size_bytes_full_opt_(n)
#define _Field_z_
#define _Field_range_(lo, hi)
#define _Field_size_this_byte_(n)

/* ---- driver annotations: IRQL, functions, locks, resources ---- */
#define _IRQL_requires_(x)
#define _IRQL_requires_max_(x)
#define _IRQL_requires_min_(x)
#define _IRQL_requires_same_
#define _IRQL_raises_(x)
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_saves_global_(kind, param)
#define _IRQL_restores_global_(kind, param)
#define _IRQL_always_function_min_(x)
#define _IRQL_always_function_max_(x)
#define _IRQL_uses_cancel_
#define _IRQL_is_cancel_
#define _IRQL_limited_to_(x)
#define _Function_class_(x)
#define _Dispatch_type_(x)
#define _Kernel_float_saved_
#define _Kernel_float_restored_
#define _Kernel_float_used_
#define _Kernel_clear_do_init_(yesNo)
#define _Kernel_IoGetDmaAdapter_
#define _Kernel_requires_resource_held_(x)
#define _Kernel_requires_resource_not_held_(x)
#define _Kernel_acquires_resource_(x)
#define _Kernel_releases_resource_(x)
#define _Kernel_must_inspect_result_
#define _Acquires_lock_(x)
#define _Releases_lock_(x)
#define _Acquires_exclusive_lock_(x)
#define _Releases_exclusive_lock_(x)
#define _Acquires_shared_lock_(x)
#define _Releases_shared_lock_(x)
#define _Acquires_nonreentrant_lock_(x)
#define _Releases_nonreentrant_lock_(x)
#define _Requires_lock_held_(x)
#define _Requires_lock_not_held_(x)
#define _Requires_exclusive_lock_held_(x)
#define _Requires_shared_lock_held_(x)
#define _Requires_no_locks_held_
#define _Post_same_lock_(a, b)
#define _Create_lock_level_(n)
#define _Has_lock_kind_(k)
#define _Has_lock_level_(n)
#define _Lock_level_order_(a, b)
#define _Lock_kind_mutex_
#define _Lock_kind_event_
#define _Lock_kind_semaphore_
#define _Lock_kind_spin_lock_
#define _Lock_kind_critical_section_
#define _Guarded_by_(x)
#define _Write_guarded_by_(x)
#define _Interlocked_
#define _No_competing_thread_
#define _No_competing_thread_begin_
#define _No_competing_thread_end_
#define _Benign_race_begin_
#define _Benign_race_end_
#define _Function_ignore_lock_checking_(x)

/* ---- Static Driver Verifier's markers (driverspecs.h): they tell SDV
 * where a driver keeps a request or its adapter context; outside an SDV
 * analysis they are nothing. ---- */
#define __sdv_save_request(r)
#define __sdv_retrieve_request(r)
#define __sdv_save_adapter_context(c)

/* ---- __drv_* (driver SAL 1 spelling) ---- */
#define __drv_aliasesMem
#define __drv_allocatesMem(kind)
#define __drv_freesMem(kind)
#define __drv_maxIRQL(x)
#define __drv_minIRQL(x)
#define __drv_requiresIRQL(x)
#define __drv_raisesIRQL(x)
#define __drv_setsIRQL(x)
#define __drv_savesIRQL
#define __drv_restoresIRQL
#define __drv_savesIRQLGlobal(kind, param)
#define __drv_restoresIRQLGlobal(kind, param)
#define __drv_sameIRQL
#define __drv_useCancelIRQL
#define __drv_isCancelIRQL
#define __drv_maxFunctionIRQL(x)
#define __drv_minFunctionIRQL(x)
#define __drv_dispatchType(x)
#define __drv_dispatchType_other
#define __drv_completionType(x)
#define __drv_functionClass(x)
#define __drv_inTry
#define __drv_notInTry
#define __drv_when(c, a)
#define __drv_arg(e, a)
#define __drv_at(e, a)
#define __drv_in(a)
#define __drv_out(a)
#define __drv_in_deref(a)
#define __drv_out_deref(a)
#define __drv_deref(a)
#define __drv_fun(a)
#define __drv_ret(a)
#define __drv_valueIs(x)
#define __drv_constant
#define __drv_nonConstant
#define __drv_strictType(t, m)
#define __drv_strictTypeMatch(m)
#define __drv_isObjectPointer
#define __drv_acquiresResource(k)
#define __drv_releasesResource(k)
#define __drv_acquiresExclusiveResource(k)
#define __drv_releasesExclusiveResource(k)
#define __drv_mustHold(k)
#define __drv_neverHold(k)
#define __drv_innerMustHold(k)
#define __drv_innerNeverHold(k)
#define __drv_acquiresCancelSpinLock
#define __drv_releasesCancelSpinLock
#define __drv_mustHoldCancelSpinLock
#define __drv_neverHoldCancelSpinLock
#define __drv_acquiresCriticalRegion
#define __drv_releasesCriticalRegion
#define __drv_mustHoldCriticalRegion
#define __drv_neverHoldCriticalRegion
#define __drv_acquiresPriorityRegion
#define __drv_releasesPriorityRegion
#define __drv_mustHoldPriorityRegion
#define __drv_neverHoldPriorityRegion
#define __drv_clearDoInitialize(x)
#define __drv_interlocked
#define __drv_floatSaved
#define __drv_floatRestored
#define __drv_floatUsed
#define __drv_preferredFunction(f, why)
#define __drv_reportError(why)
#define __drv_formatString(kind)
#define __drv_typeConst
#define __drv_typeCond
#define __drv_typeBitset
#define __drv_typeExpr
#define __drv_unit(u)
#define __drv_Mode_impl(x)
#define __drv_allocatesMem2(kind)

/* ---- SAL 1 (__in, __out, ...) ---- */
#define __in
#define __in_opt
#define __in_z
#define __in_z_opt
#define __in_ecount(n)
#define __in_bcount(n)
#define __in_ecount_opt(n)
#define __in_bcount_opt(n)
#define __in_ecount_z(n)
#define __in_range(lo, hi)
#define __out
#define __out_opt
#define __out_z
#define __out_z_opt
#define __out_ecount(n)
#define __out_bcount(n)
#define __out_ecount_opt(n)
#define __out_bcount_opt(n)
#define __out_ecount_part(n, c)
#define __out_bcount_part(n, c)
#define __out_ecount_part_opt(n, c)
#define __out_bcount_part_opt(n, c)
#define __out_ecount_full(n)
#define __out_bcount_full(n)
#define __out_ecount_z(n)
#define __out_range(lo, hi)
#define __inout
#define __inout_opt
#define __inout_z
#define __inout_ecount(n)
#define __inout_bcount(n)
#define __inout_ecount_opt(n)
#define __inout_bcount_opt(n)
#define __inout_ecount_part(n, c)
#define __inout_bcount_part(n, c)
#define __inout_ecount_full(n)
#define __inout_bcount_full(n)
#define __ecount(n)
#define __bcount(n)
#define __ecount_opt(n)
#define __bcount_opt(n)
#define __deref_in
#define __deref_out
#define __deref_out_opt
#define __deref_opt_out
#define __deref_inout
#define __deref_inout_opt
#define __deref_out_ecount(n)
#define __deref_out_bcount(n)
#define __deref_out_ecount_opt(n)
#define __deref_out_bcount_opt(n)
#define __deref_out_z
#define __deref_opt_out_opt
#define __field_ecount(n)
#define __field_bcount(n)
#define __field_ecount_opt(n)
#define __field_bcount_opt(n)
#define __field_ecount_part(n, c)
#define __field_bcount_part(n, c)
#define __field_range(lo, hi)
#define __nullterminated
#define __nullnullterminated
#define __reserved
#define __checkReturn
#define __success(e)
#define __range(lo, hi)
#define __typefix(t)
#define __format_string
#define __notnull
#define __maybenull
#define __control_entrypoint(c)
#define __data_entrypoint(c)
#define __out_has_type_adt_props(t)
#define __analysis_assume(e) ((void)0)
#define __assume_bound(e)
/* Marks a deliberate fall through to the next case label. */
#define __fallthrough __attribute((fallthrough))
/* MSVC's in-macro pragma: no equivalent needed (its uses are warning
 * suppressions for MSVC). */
#ifndef __pragma
#define __pragma(x)
#endif

#endif /* MDLKIT_MKWDK_SAL_H */
