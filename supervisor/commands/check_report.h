/*
 * The report of luaward check, for people (text, on stderr) and for
 * programs (one JSON object, on stdout).  The JSON report is one line:
 *
 *   {"plugins":[{"path":P,"name":N,"loaded":B,"compiles":B|null,
 *                "definesEntryPoint":B|null,"touched":[S...]|null,
 *                "error":S|null}, ...],
 *    "pods":P|null,"results":[R...]|null,"ok":B}
 *
 * where each R is the line resolve prints for a record, and null means
 * not known (a file that could not be read was never compiled; a top
 * level that failed never reached its end).  docs/luaward.1 describes it.
 */
#ifndef LUAWARD_SUPERVISOR_CHECK_REPORT_H
#define LUAWARD_SUPERVISOR_CHECK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../engine/plugins.h"

enum check_answer { CHECK_UNKNOWN = -1, CHECK_NO = 0, CHECK_YES = 1 };

struct checked {
	char			*path;		/* as named, or DIR/NAME.lua */
	struct plugin_source	 source;
	bool			 loaded;
	enum check_answer	 compiles;
	enum check_answer	 defines;	/* GetWorkloadTypeAndName */
	char			 touched[1024];	/* ", "-separated; loaded */
	char			*error;		/* why not loaded, or NULL */
};

/* The text report of one plugin, on out; every line cleaned
 * (sanitize.h). */
void	 check_report_text(FILE *out, const struct checked *);

/*
 * The JSON report, in three parts around the results, written to out as
 * they come: the opening with every plugin and the pods file (NULL: no
 * --pods), each result line (a whole JSON object with its newline), and
 * the end.  A reader of out that went away ends the process (closed_pipe.h).
 */
struct check_json;
struct check_json *check_json_begin(FILE *out, const struct checked *,
	     size_t count, const char *pods);
/* As a session's sink (writer.h): takes all it is given. */
size_t	 check_json_result(void *check_json, const char *bytes,
	     size_t length);
/* Writes the end, frees it, and returns 0, or -1 with errno. */
int	 check_json_end(struct check_json *, bool ok);

#endif
