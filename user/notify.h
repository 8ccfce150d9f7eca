/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service manager notification (sd_notify(3), libsystemd): READY=1 once
 * the programs are attached, STATUS= lines, STOPPING=1 before the restore,
 * WATCHDOG=1 when the unit asks for a watchdog.  Without $NOTIFY_SOCKET
 * (run by hand, in a test) every call is a no-op.  Built without
 * libsystemd (STATIC=1: Debian ships no libsystemd.a) they are no-ops too.
 */
#ifndef CGW_NOTIFY_H
#define CGW_NOTIFY_H

#include <stdint.h>

void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_stopping(void);

/* The watchdog interval the unit set (WatchdogSec=) in microseconds, 0 when
 * there is none: only then does the agent wake up on its own for it. */
uint64_t notify_watchdog_usec(void);
void notify_watchdog(void);

#endif
