/* The options screen: the cluster's name, versions and where the binaries
 * come from, etcd, the certificates and the add-ons. The help of each value
 * shows on the help line when it is focused. */
#include "config.h"

#include "../src/nls.h"
#include "formscreen.h"

/* The sections shown, each under its own heading, in this order. */
static const char *const sections[] = { "versions", "binaries", "etcd", "pki", "addons" };

static void options_enter(void *state, struct wizard *w)
{
	struct formscreen *s = state;

	(void)w;
	planform_clear(s->pf);
	planform_add_field(s->pf, "name", false);
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		planform_add_heading(s->pf, plan_schema_find(sections[i])->label, sections[i]);
		planform_add_section(s->pf, sections[i], false);
	}
}

const struct screen_ops screen_options_ops = {
	.name = "options",
	.title = N_("Options"),
	.intro = N_("Versions, binaries, etcd, certificates and add-ons"),
	.init = formscreen_init,
	.free = formscreen_free,
	.enter = options_enter,
	.draw = formscreen_draw,
	.key = formscreen_key,
	.footer = formscreen_footer,
	.focus = formscreen_focus,
	.commit = formscreen_commit,
	.focused = formscreen_focused,
	.cursor = formscreen_cursor,
};
