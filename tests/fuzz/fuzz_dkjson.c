/*
 * libFuzzer target: the native dkjson.decode against Debian's dkjson.lua
 * (tests/dkjson_support.h) on every input, under one call form and at one
 * position, both picked by the input's first byte (all forms on every
 * input would make dkjson.lua's share of the time ten times larger).
 * Any difference aborts with it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../dkjson_support.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static lua_State *L;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *difference;

	if (L == NULL) {
		char error[512];

		if ((L = dkjson_harness_new(error, sizeof(error))) == NULL) {
			fprintf(stderr, "fuzz_dkjson: %s\n", error);
			abort();
		}
	}
	/* Positions from before the start to past the end. */
	if (size > 0)
		lua_pushinteger(L, (lua_Integer)(data[0] % (size + 4)) - 1);
	difference = dkjson_harness_check_form(L, (const char *)data, size,
	    size > 0, size > 0 ? data[0] : 0);
	if (difference != NULL) {
		fprintf(stderr, "fuzz_dkjson: %s\n", difference);
		abort();
	}
	return 0;
}
