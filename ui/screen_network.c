/* The network screen: the address ranges and addresses of the cluster, each
 * with its one-line explanation under it. */
#include "config.h"

#include <stdlib.h>

#include "../src/nls.h"
#include "../src/xmalloc.h"
#include "formscreen.h"

static void *network_init(struct wizard *w)
{
	struct formscreen *s = xcalloc(1, sizeof *s);
	static const struct planform_ops ops = { 0 };

	(void)w;
	s->pf = planform_new(&ops, s);
	return s;
}

static void network_enter(void *state, struct wizard *w)
{
	struct formscreen *s = state;

	(void)w;
	planform_clear(s->pf);
	planform_add_section(s->pf, "network", true);
}

const struct screen_ops screen_network_ops = {
	.name = "network",
	.title = N_("Network"),
	.intro = N_("Address ranges and addresses of the cluster"),
	.init = network_init,
	.free = formscreen_free,
	.enter = network_enter,
	.draw = formscreen_draw,
	.key = formscreen_key,
	.footer = formscreen_footer,
	.focus = formscreen_focus,
	.commit = formscreen_commit,
	.focused = formscreen_focused,
	.cursor = formscreen_cursor,
};
