/*
 * The argument DeepFlow's controller passes a plugin: the pod's metadata
 * as Go's encoding/json writes it after decoding it (go-simplejson's
 * MarshalJSON, over a decoder with UseNumber), byte for byte:
 *   - object keys sorted bytewise (on their decoded UTF-8) at every level;
 *     of duplicate keys the last wins, as in Go's map;
 *   - strings re-escaped as Go escapes them: \" \\ \b \f \n \r \t, other
 *     control characters and < > & as \u00xx (lowercase hex), U+2028 and
 *     U+2029 as \u2028 and \u2029, everything else as UTF-8; \/ becomes /;
 *   - bytes that are not valid UTF-8, and \u escapes of lone surrogates,
 *     become U+FFFD (written as UTF-8, as Go's decoder has already
 *     replaced them before the encoder sees them);
 *   - numbers exactly as written (json.Number), true, false, null;
 *   - no white space.
 * The escapes of \b and \f are those of Go 1.22 and later (DeepFlow builds
 * with a newer Go); older Go wrote \u0008 and \u000c.
 */
#ifndef LUAWARD_SUPERVISOR_DEEPFLOW_ARGUMENT_H
#define LUAWARD_SUPERVISOR_DEEPFLOW_ARGUMENT_H

#include <stddef.h>

#include "../../ipc/buffer.h"

/*
 * Appends to out the bytes Go would produce for the JSON text metadata
 * (any JSON value; white space allowed; nesting up to Go's 10000 levels).
 * Returns 0, or -1 with a message in error (the text is not JSON, where;
 * or memory ran out), out then unchanged.  Reserves 6 bytes of out per
 * byte of text (the most the output can take), and uses about 20 more of
 * its own, freed on return.
 */
int	 deepflow_argument(struct buffer *out, const char *metadata,
	     size_t length, char *error, size_t error_size);

#endif
