/*
 * luaward-worker: runs one plugin for the supervisor that started it.
 *
 * It opens no file: exec hands it fds 0 (requests), 1 (replies) and 2 (log
 * lines), and everything else arrives in the LOAD message before any plugin
 * code runs.  Start order, as in docs/protocol.md: HELLO; LOAD; the process
 * layers (sandbox_enter); the Lua state with its capped allocator and the
 * safe environment, modules preloaded; Landlock and seccomp (sandbox_seal);
 * only then the plugin is compiled and its top level run; READY names the
 * layers.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>

#include "../ipc/wire.h"
#include "call.h"
#include "channel.h"
#include "log.h"
#include "luaenv.h"
#include "probe.h"
#include "sandbox.h"

#ifdef LUAWARD_SANITIZE
/* The worker's environment is empty, so its sanitizer options are built
 * in: LeakSanitizer's exit-time scan starts a ptrace thread, and
 * AddressSanitizer's report of a fault asks the terminal and /proc, all
 * of which the sandbox rightly refuses.  A fault then ends the worker by
 * its signal, a crash, as in a production build. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0";
}
#endif

static void
send_or_die(int r)
{
	if (r == -1)
		channel_fatal(WIRE_EXIT_MEMORY, "memory", "no memory to queue a "
		    "message");
}

static void
serve_requests(lua_State *L)
{
	struct wire_message message;

	while (channel_receive(&message) == 1) {
		if (message.type != WIRE_REQUEST)
			channel_fatal(WIRE_EXIT_PROTOCOL, "error", "unexpected "
			    "%s message", wire_type_name(message.type));
		/* Answers leave in batches: every one is written before the
		 * worker waits for input (channel_receive), and before a call
		 * once they are a couple of ms old, so the supervisor's clock
		 * for this call never starts much before it does. */
		if (channel_flush_if_due() == -1)
			break;
		sandbox_set_current_request(message.u.request.id);
		call_request(L, message.u.request.id,
		    message.u.request.metadata);
		sandbox_set_current_request(0);
		log_report_dropped();
	}
	(void)channel_flush();
}

int
main(int argc, char **argv)
{
	struct sandbox_report report;
	struct wire_message message;
	struct wire_string touched[WIRE_MAX_TOUCHED];
	char error[WIRE_MAX_TEXT - 64];
	size_t touched_count;
	lua_State *L;

	(void)argv;
	/* Exec'd by descriptor, the process would be named "3" in ps. */
	(void)prctl(PR_SET_NAME, "luaward-worker", 0, 0, 0);
	if (argc != 1 || isatty(0)) {
		static const char usage[] = "luaward-worker: started by luaward "
		    "with its pipes on fds 0 and 1; not meant to be run by "
		    "hand (see luaward --help)\n";

		(void)!write(2, usage, sizeof(usage) - 1);
		return 2;
	}
	send_or_die(wire_put_hello(channel_output(), (uint32_t)getpid()));
	if (channel_receive(&message) == 0)
		return WIRE_EXIT_DONE;
	if (message.type != WIRE_LOAD)
		channel_fatal(WIRE_EXIT_PROTOCOL, "error", "expected LOAD, got "
		    "%s", wire_type_name(message.type));

	sandbox_enter(&report);
	/* os.date and os.time work in UTC.  TZ=":" is glibc's spelling of UTC
	 * that reads no zone file, and tzset() now means the time functions
	 * never look for one later. */
	setenv("TZ", ":", 1);
	tzset();
	L = luaenv_new(&message.u.load.settings);
	call_init(L, &message.u.load.settings);
	sandbox_seal(&message.u.load.settings, &report);
	/* Plugin code runs from here on: the supervisor's load limit starts
	 * now, not while the sandbox was being built. */
	send_or_die(wire_put_sealed(channel_output()));
	(void)channel_flush();
	if (message.u.load.settings.probe.length > 0) {
		/* selftest: the layers, then the one probe, instead of a
		 * plugin. */
		send_or_die(wire_put_ready(channel_output(), report.layers,
		    report.count, NULL, 0));
		(void)channel_flush();
		probe_run(L, message.u.load.settings.probe);
		(void)channel_flush();
		return WIRE_EXIT_DONE;
	}

	if (call_load_plugin(L, &message.u.load.settings, error,
	    sizeof(error)) == -1)
		channel_fatal(WIRE_EXIT_LOAD, "load", "%s", error);
	touched_count = luaenv_touched(touched, WIRE_MAX_TOUCHED);
	send_or_die(wire_put_ready(channel_output(), report.layers,
	    report.count, touched, touched_count));
	serve_requests(L);
	return WIRE_EXIT_DONE;
}
