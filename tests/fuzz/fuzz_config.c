// SPDX-License-Identifier: GPL-2.0
/* The configuration parser (core/config.c) on arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cgw_config *cfg;
	static struct cgw_diag diag;

	if (!cfg && !(cfg = malloc(sizeof(*cfg))))
		abort();
	/* no cgroup root: paths are checked for form, not existence */
	cgw_config_load(fuzz_file(data, size), NULL, cfg, &diag);
	for (size_t i = 0; i < diag.n; i++)
		if (!memchr(diag.msg[i], '\0', sizeof(diag.msg[i])))
			abort(); /* every message is a terminated string */
	return 0;
}
