/*
 * psnotify.c -- process-creation notification:
 * PsSetCreateProcessNotifyRoutineEx.
 *
 * Up to 64 routines are registered, as on Windows. The simulated machine
 * has one process for its whole life and creates none, so a registered
 * routine is never called: registration is kept, checked and undone
 * exactly as Windows does it (docs/ddi-notes.md "Callbacks").
 *  - Remove == FALSE: a NULL routine, one already registered, or a 65th:
 *    STATUS_INVALID_PARAMETER;
 *  - Remove == TRUE of a routine not registered: STATUS_PROCEDURE_NOT_FOUND;
 *  - at IRQL != PASSIVE_LEVEL: 0xA (its documented IRQL);
 *  - a driver unloaded with its routine registered: 0xCE (routine, 0,
 *    routine, 0), the bug check a later process creation would give.
 * Windows refuses images not linked with /INTEGRITYCHECK
 * (STATUS_ACCESS_DENIED); mdlkit treats every driver as linked so.
 */
#include "mk_machine.h"
#include "mk_ke.h"

#include <pthread.h>

#define PS_NOTIFY_MAX 64

static pthread_mutex_t psn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    PCREATE_PROCESS_NOTIFY_ROUTINE_EX routine;
    struct mk_driver *driver;
} psn[PS_NOTIFY_MAX];

NTSTATUS PsSetCreateProcessNotifyRoutineEx(PCREATE_PROCESS_NOTIFY_ROUTINE_EX NotifyRoutine, BOOLEAN Remove)
{
    MK_ENTER("PsSetCreateProcessNotifyRoutineEx");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, PsSetCreateProcessNotifyRoutineEx);
    NTSTATUS st;
    pthread_mutex_lock(&psn_lock);
    int at = -1, free_slot = -1;
    for (int i = 0; i < PS_NOTIFY_MAX; i++) {
        if (NotifyRoutine && psn[i].routine == NotifyRoutine)
            at = i;
        if (!psn[i].routine && free_slot < 0)
            free_slot = i;
    }
    if (Remove) {
        if (at < 0) {
            st = STATUS_PROCEDURE_NOT_FOUND;
        } else {
            psn[at].routine = NULL;
            psn[at].driver = NULL;
            st = STATUS_SUCCESS;
        }
    } else if (!NotifyRoutine || at >= 0 || free_slot < 0) {
        st = STATUS_INVALID_PARAMETER;
    } else {
        psn[free_slot].routine = NotifyRoutine;
        psn[free_slot].driver = mk_self.driver;
        st = STATUS_SUCCESS;
    }
    pthread_mutex_unlock(&psn_lock);
    return st;
}

PVOID mk_ps_notify_of_driver(struct mk_driver *d)
{
    PVOID r = NULL;
    pthread_mutex_lock(&psn_lock);
    for (int i = 0; i < PS_NOTIFY_MAX && !r; i++)
        if (psn[i].routine && psn[i].driver == d)
            r = (PVOID)psn[i].routine;
    pthread_mutex_unlock(&psn_lock);
    return r;
}

void mk_ps_notify_reset(void)
{
    pthread_mutex_lock(&psn_lock);
    for (int i = 0; i < PS_NOTIFY_MAX; i++) {
        psn[i].routine = NULL;
        psn[i].driver = NULL;
    }
    pthread_mutex_unlock(&psn_lock);
}
