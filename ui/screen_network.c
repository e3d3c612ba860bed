/* The network screen: the address ranges and addresses of the cluster, each
 * with its one-line explanation under it. */
#include "config.h"

#include "../src/nls.h"
#include "formscreen.h"

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
	.init = formscreen_init,
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
