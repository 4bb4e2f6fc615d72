/* The subcommands of luaward, one file each. */
#ifndef LUAWARD_SUPERVISOR_COMMANDS_H
#define LUAWARD_SUPERVISOR_COMMANDS_H

int	 cmd_resolve(int argc, char **argv);
int	 cmd_policy(int argc, char **argv);

#endif
