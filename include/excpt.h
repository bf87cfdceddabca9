/*
 * excpt.h -- mdlkit's own text. The structured-exception spellings C driver
 * code may use besides __try/__except/__finally/__leave: try, except,
 * finally and leave (as the Windows C compiler's header offers them to C,
 * not C++, code). The exception machinery itself is in <wdm.h>. Define
 * MDLKIT_NO_SEH_KEYWORDS before including any mdlkit header to keep all of
 * these names free.
 */
#ifndef MDLKIT_EXCPT_H
#define MDLKIT_EXCPT_H

#if !defined(__cplusplus) && !defined(MDLKIT_NO_SEH_KEYWORDS)
#define try __try
#define except __except
#define finally __finally
#define leave __leave
#endif

#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)

#endif /* MDLKIT_EXCPT_H */
