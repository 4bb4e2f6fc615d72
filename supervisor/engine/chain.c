#include <stdlib.h>

#include "chain.h"
#include "../log.h"
#include "plugin.h"

static struct chain *
chain_alloc(size_t count)
{
	struct chain *c = xcalloc(1, sizeof(*c) + count *
	    sizeof(c->links[0]));

	c->refs = 1;
	c->count = count;
	return c;
}

struct chain *
chain_new(struct plugin *const *plugins, size_t count)
{
	struct chain *c = chain_alloc(count);

	for (size_t i = 0; i < count; i++) {
		c->links[i].plugin = plugin_ref(plugins[i]);
		c->links[i].name = plugin_name(plugins[i]);
	}
	return c;
}

struct chain *
chain_of_names(const char *const *names, size_t count)
{
	struct chain *c = chain_alloc(count);

	for (size_t i = 0; i < count; i++)
		c->links[i].name = names[i];
	return c;
}

struct chain *
chain_ref(struct chain *c)
{
	c->refs++;
	return c;
}

void
chain_unref(struct chain *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	for (size_t i = 0; i < c->count; i++)
		if (c->links[i].plugin != NULL)
			plugin_unref(c->links[i].plugin);
	free(c);
}
