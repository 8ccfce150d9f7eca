/* SPDX-License-Identifier: GPL-2.0 */
/* Parsing of durations and shares.  Pure C, no libbpf. */
#ifndef CGW_UNITS_H
#define CGW_UNITS_H

#include <stdint.h>

/*
 * "10ms", "250us", "1s", "1.5ms" -> nanoseconds.  A unit is required
 * (us, ms, s); at most 3 fractional digits; no sign, no spaces inside.
 * Returns 0, or -EINVAL (malformed/unknown unit) / -ERANGE (overflow).
 */
int cgw_parse_duration(const char *s, uint64_t *ns);

/*
 * "50%", "12.5%", "0.01%" -> parts per million of the machine (50% ->
 * 500000).  The '%' is required; at most 4 fractional digits.  Returns 0,
 * -EINVAL (malformed) or -ERANGE (above 100%).
 */
int cgw_parse_share(const char *s, uint32_t *ppm);

/* Formats ns as the shortest exact "Nus"/"Nms"/"Ns" string. */
void cgw_format_duration(uint64_t ns, char *buf, unsigned long len);

/* Formats ppm as the shortest exact share, "50%", "12.5%", "0.0001%":
 * what cgw_parse_share() reads back to the same value. */
void cgw_format_share(uint32_t ppm, char *buf, unsigned long len);

#endif
