/* The version luaward reports, in one place: --version and -V of every
 * command, and the daemon's answer to a client's HELLO. */
#ifndef LUAWARD_SUPERVISOR_VERSION_H
#define LUAWARD_SUPERVISOR_VERSION_H

#ifndef LUAWARD_VERSION
#define LUAWARD_VERSION "0.2.0"
#endif

#endif
