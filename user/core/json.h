/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal JSON output helpers.  Pure C. */
#ifndef CGW_JSON_H
#define CGW_JSON_H

#include <stdio.h>

/* Writes @s as a JSON string literal (quoted, escaped) to @f. */
void cgw_json_str(FILE *f, const char *s);

#endif
