// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "notify.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>

static void notify_send(const char *head, const char *fmt, va_list ap)
{
	char status[512];
	int ret;

	vsnprintf(status, sizeof(status), fmt, ap);
	ret = sd_notifyf(0, "%sSTATUS=%s", head, status);
	if (ret < 0)
		cgw_warn("sd_notify: %s", strerror(-ret));
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_send("READY=1\n", fmt, ap);
	va_end(ap);
}

void notify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_send("", fmt, ap);
	va_end(ap);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=restoring the original values");
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

#else /* !HAVE_LIBSYSTEMD */

void notify_ready(const char *fmt, ...)
{
	(void)fmt;
}

void notify_status(const char *fmt, ...)
{
	(void)fmt;
}

void notify_stopping(void)
{
}

uint64_t notify_watchdog_usec(void)
{
	return 0;
}

void notify_watchdog(void)
{
}

#endif
