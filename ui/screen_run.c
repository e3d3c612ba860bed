/* The run page. The install engine is not part of this version: the page
 * says so plainly, with the plan's validation state and what the operator
 * can do with the plan meanwhile. Nothing here pretends to install. */
#include "config.h"

#include <stdlib.h>

#include "../src/nls.h"
#include "../src/xmalloc.h"
#include "formscreen.h"

static void build(struct formscreen *s, struct wizard *w)
{
	struct planform *pf = s->pf;
	char *line = NULL;

	planform_clear(pf);
	if (w->errors > 0) {
		line = xasprintf(P_("The plan has %zu error: a run cannot start. PgUp goes back to "
				    "the review page, which lists it.",
				    "The plan has %zu errors: a run cannot start. PgUp goes back to "
				    "the review page, which lists them.", w->errors), w->errors);
		planform_add_text(pf, line, false, ROLE_ERROR);
	} else {
		line = xstrdup(_("The plan is valid."));
		planform_add_text(pf, line, false, ROLE_OK);
	}
	free(line);
	planform_add_blank(pf);
	/* L10N: how many hosts have each role. */
	line = xasprintf(_("Hosts: %zu masters, %zu etcd members, %zu workers."),
			 plan_count_role(w->plan, ROLE_MASTER), plan_count_role(w->plan, ROLE_ETCD),
			 plan_count_role(w->plan, ROLE_WORKER));
	planform_add_text(pf, line, false, ROLE_NORMAL);
	free(line);
	planform_add_blank(pf);
	planform_add_text(pf, N_("The install engine is not built yet: this version of k8s-wizard "
				 "plans and checks a cluster but cannot install it, so nothing "
				 "is run from here."), true, ROLE_WARNING);
	planform_add_blank(pf);
	planform_add_text(pf, N_("Keep the plan: it is saved in the state directory after every "
				 "change, and F2 exports it to a YAML file. From the command "
				 "line, 'k8s-wizard plan check -f FILE' checks such a file the "
				 "same way this wizard does."), true, ROLE_NORMAL);
}

static void *run_init(struct wizard *w)
{
	static const struct planform_ops ops = { 0 };
	struct formscreen *s = xcalloc(1, sizeof *s);

	(void)w;
	s->pf = planform_new(&ops, s);
	return s;
}

static void run_draw(void *state, struct wizard *w, WINDOW *win)
{
	build(state, w);
	formscreen_draw(state, w, win);
}

const struct screen_ops screen_run_ops = {
	.name = "run",
	.title = N_("Run"),
	.intro = N_("Installing the cluster"),
	.init = run_init,
	.free = formscreen_free,
	.draw = run_draw,
	.key = formscreen_key,
};
