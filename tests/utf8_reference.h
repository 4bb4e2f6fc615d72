/*
 * A reference for UTF-8, written the long way for the tests of
 * supervisor/json.h (and strict_json.h's reading of strings): the code
 * point is assembled first and range-checked after, where json.c narrows
 * the second byte's range by lead byte.  With the bytes around every
 * rule's boundary to build inputs from.
 *
 * Everything here is static.
 */
#ifndef LUAWARD_TESTS_UTF8_REFERENCE_H
#define LUAWARD_TESTS_UTF8_REFERENCE_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "helpers.h"

/*
 * Bytes around every boundary of the UTF-8 and JSON rules: controls,
 * quote, backslash, DEL, continuation ranges, overlong leads, the
 * surrogate and U+10FFFF leads, bytes that never occur.
 */
static const unsigned char interesting[] = {
	0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, 0x22, 0x2f, 0x41,
	0x5c, 0x75, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
	0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5,
	0xf8, 0xfe, 0xff,
};
#define NINTERESTING	(sizeof(interesting) / sizeof(interesting[0]))

/* The same, fewer: enough for every four-byte pattern that matters. */
static const unsigned char boundary[] = {
	0x00, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
	0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff,
};
#define NBOUNDARY	(sizeof(boundary) / sizeof(boundary[0]))

/*
 * The reference for UTF-8: the code point is assembled from the lead
 * byte's bit pattern and the continuation bytes, and only then checked for
 * overlong forms, surrogates and the U+10FFFF ceiling (json.c instead
 * narrows the second byte's range by lead byte).  Returns the length of
 * the sequence at s, or 0 when there is none.
 */
static inline size_t
reference_decode(const unsigned char *s, size_t available, uint32_t *cp)
{
	uint32_t v, min;
	size_t n;

	if (available == 0)
		return 0;
	if ((s[0] & 0x80) == 0) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		v = s[0] & 0x1fu;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		v = s[0] & 0x0fu;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		v = s[0] & 0x07u;
		min = 0x10000;
	} else
		return 0;
	if (available < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

#endif
