/*
 * Where `make install` puts luaward, compiled in by the Makefile from its
 * BINDIR, LIBEXECDIR and DATADIR (never DESTDIR, which only stages the
 * files).  setup.c finds the worker and the bundled data from these.
 */
#ifndef LUAWARD_SUPERVISOR_PATHS_H
#define LUAWARD_SUPERVISOR_PATHS_H

/* The luaward command. */
#ifndef LUAWARD_BINDIR
#define LUAWARD_BINDIR		"/usr/local/bin"
#endif
/* luaward-worker: run by luaward only, so not a command. */
#ifndef LUAWARD_LIBEXECDIR
#define LUAWARD_LIBEXECDIR	"/usr/local/libexec/luaward"
#endif
/* worker.policy, plugins/ and examples/. */
#ifndef LUAWARD_DATADIR
#define LUAWARD_DATADIR		"/usr/local/share/luaward"
#endif

#endif
