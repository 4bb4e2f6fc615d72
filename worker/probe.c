#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "channel.h"
#include "probe.h"

/* An attempt returns 0 when the forbidden thing worked, or the errno that
 * stopped it; detail says what happened. */
typedef int (*attempt)(lua_State *, char *detail, size_t size);

static int
open_file(lua_State *L, char *detail, size_t size)
{
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);

	(void)L;
	if (fd == -1)
		return errno;
	snprintf(detail, size, "opened /etc/passwd as fd %d", fd);
	close(fd);
	return 0;
}

static int
create_socket(lua_State *L, char *detail, size_t size)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)L;
	if (fd == -1)
		return errno;
	snprintf(detail, size, "created a TCP socket");
	close(fd);
	return 0;
}

static int
start_process(lua_State *L, char *detail, size_t size)
{
	pid_t child = fork();

	(void)L;
	if (child == -1)
		return errno;
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	snprintf(detail, size, "forked process %d", (int)child);
	return 0;
}

static int
execute(lua_State *L, char *detail, size_t size)
{
	char *const argv[] = { (char *)"true", NULL };
	char *const envp[] = { NULL };

	(void)L;
	(void)detail;
	(void)size;
	/* Success replaces the worker: it then exits 0 without a report,
	 * which the supervisor reads as allowed. */
	execve("/bin/true", argv, envp);
	return errno;
}

static int
trace(lua_State *L, char *detail, size_t size)
{
	(void)L;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1)
		return errno;
	snprintf(detail, size, "PTRACE_TRACEME succeeded");
	return 0;
}

static int
write_stdin(lua_State *L, char *detail, size_t size)
{
	(void)L;
	if (write(0, "x", 1) == -1)
		return errno;
	snprintf(detail, size, "wrote a byte to fd 0");
	return 0;
}

static int
map_executable(lua_State *L, char *detail, size_t size)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)L;
	if (p == MAP_FAILED)
		return errno;
	snprintf(detail, size, "mapped writable, executable memory");
	munmap(p, 4096);
	return 0;
}

static int
read_environ(lua_State *L, char *detail, size_t size)
{
	char buffer[256];
	int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	(void)L;
	if (fd == -1)
		return errno;
	n = read(fd, buffer, sizeof(buffer));
	close(fd);
	snprintf(detail, size, "read %zd bytes of /proc/self/environ", n);
	return 0;
}

/* Reads through any descriptor above 2 the way the policy would still
 * let a plugin: mapping it (read and write are held to fds 0-2). */
static int
see_descriptor(lua_State *L, char *detail, size_t size)
{
	(void)L;
	for (int fd = 3; fd < 4096; fd++) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p != MAP_FAILED) {
			munmap(p, 4096);
			snprintf(detail, size, "fd %d could be mapped", fd);
			return 0;
		}
		/* EBADF: no such descriptor.  Anything else means one is
		 * there but cannot be mapped: still a descriptor. */
		if (errno != EBADF) {
			snprintf(detail, size, "fd %d is open (mapping it: %s)",
			    fd, strerror(errno));
			return 0;
		}
	}
	snprintf(detail, size, "no descriptor above 2 (checked to 4095)");
	return EBADF;
}

static int
become_root(lua_State *L, char *detail, size_t size)
{
	(void)L;
	if (setresuid(0, 0, 0) == -1)
		return errno;
	snprintf(detail, size, "became uid 0");
	return 0;
}

/* Signal 0 to every process it could signal: it succeeds when one is
 * there, such as another process of the same uid. */
static int
signal_others(lua_State *L, char *detail, size_t size)
{
	(void)L;
	if (kill(-1, 0) == -1)
		return errno;
	snprintf(detail, size, "could signal another process");
	return 0;
}

static int
bounding_set(lua_State *L, char *detail, size_t size)
{
	int cap;

	(void)L;
	for (cap = 0; cap < 64; cap++) {
		int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in_set == -1 && errno == EINVAL)
			break;
		if (in_set == -1)
			return errno;
		if (in_set == 1) {
			snprintf(detail, size, "capability %d is in the "
			    "bounding set", cap);
			return 0;
		}
	}
	snprintf(detail, size, "the bounding set is empty (capabilities 0-%d)",
	    cap - 1);
	return EPERM;
}

static int
collect_dump(lua_State *L, const void *p, size_t n, void *buffer)
{
	(void)L;
	return buffer_append(buffer, p, n);
}

/* Real bytecode, made in a scratch state, offered to the sandbox's load()
 * in every mode a plugin could ask for; and string.dump itself. */
static int
load_bytecode(lua_State *L, char *detail, size_t size)
{
	static const char *const modes[] = { NULL, "b", "bt" };
	lua_State *scratch = luaL_newstate();
	struct buffer code = { 0 };

	if (scratch == NULL)
		return ENOMEM;
	if (luaL_loadstring(scratch, "return 1") != LUA_OK ||
	    lua_dump(scratch, collect_dump, &code, 0) != 0 ||
	    buffer_length(&code) < 4 || memcmp(buffer_bytes(&code),
	    LUA_SIGNATURE, 4) != 0) {
		snprintf(detail, size, "could not make bytecode to offer");
		lua_close(scratch);
		buffer_free(&code);
		return 0;
	}
	lua_close(scratch);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		lua_getglobal(L, "load");
		lua_pushlstring(L, buffer_bytes(&code), buffer_length(&code));
		lua_pushliteral(L, "=probe");
		if (modes[i] != NULL)
			lua_pushstring(L, modes[i]);
		else
			lua_pushnil(L);
		if (lua_pcall(L, 3, 2, 0) == LUA_OK &&
		    lua_type(L, -2) == LUA_TFUNCTION) {
			snprintf(detail, size, "load() accepted bytecode "
			    "(mode %s)", modes[i] != NULL ? modes[i] : "default");
			buffer_free(&code);
			return 0;
		}
		lua_settop(L, 0);
	}
	buffer_free(&code);
	/* A Lua function, which the real string.dump would dump (it
	 * refuses C functions such as print on its own). */
	lua_getglobal(L, "string");
	lua_getfield(L, -1, "dump");
	if (luaL_loadstring(L, "return 1") != LUA_OK) {
		snprintf(detail, size, "could not make a function to dump");
		return 0;
	}
	if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
		snprintf(detail, size, "string.dump produced bytecode");
		return 0;
	}
	snprintf(detail, size, "load() refused bytecode in every mode; %s",
	    lua_tostring(L, -1));
	lua_settop(L, 0);
	return EPERM;
}

static const struct probe {
	const char	*name;
	attempt		 attempt;
} probes[] = {
	{ "open-file",		open_file },
	{ "create-socket",	create_socket },
	{ "fork",		start_process },
	{ "execute",		execute },
	{ "ptrace",		trace },
	{ "write-stdin",	write_stdin },
	{ "map-executable",	map_executable },
	{ "read-environ",	read_environ },
	{ "fd-above-2",		see_descriptor },
	{ "load-bytecode",	load_bytecode },
	{ "become-root",	become_root },
	{ "signal-others",	signal_others },
	{ "bounding-set",	bounding_set },
};

void
probe_run(lua_State *L, struct wire_string name)
{
	char detail[512] = "";

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int error;

		if (!wire_string_is(name, probes[i].name))
			continue;
		error = probes[i].attempt(L, detail, sizeof(detail));
		if (error != 0 && detail[0] == '\0')
			snprintf(detail, sizeof(detail), "%s", strerror(error));
		if (wire_put_probe(channel_output(), probes[i].name,
		    error == 0 ? "allowed" : "blocked", (uint32_t)error,
		    detail) == -1)
			channel_fatal(WIRE_EXIT_MEMORY, "memory", "no memory "
			    "for the probe report");
		return;
	}
	channel_fatal(WIRE_EXIT_PROTOCOL, "error", "unknown probe '%.*s'",
	    (int)name.length, name.bytes);
}
