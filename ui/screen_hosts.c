/* The server plan: a table of the hosts (name, address, SSH port and user,
 * and one switch per role), with keys to add, duplicate and delete hosts,
 * and under it how the wizard logs in to them. */
#include "config.h"

#include <stdlib.h>

#include "../src/nls.h"
#include "../src/planedit.h"
#include "../src/xmalloc.h"
#include "formscreen.h"

/* Actions of cells: the add button, and the cells of a host's row. */
enum { ACT_ADD = 1, ACT_HOST };

struct hosts_screen {
	struct formscreen base;
	size_t deleting; /* the host the delete dialog asks about */
};

/* Table columns; the address column takes the room left. */
enum { COL_NAME, COL_ADDRESS, COL_PORT, COL_USER, COL_MASTER, COL_ETCD, COL_WORKER };

static const struct pf_column columns[] = {
	[COL_NAME] = { N_("Name"), 14, false },
	[COL_ADDRESS] = { N_("Address"), 15, true },
	[COL_PORT] = { N_("Port"), 5, false },
	[COL_USER] = { N_("User"), 8, false },
	/* L10N: role names are Kubernetes terms; keep them short. */
	[COL_MASTER] = { N_("master"), 3, false },
	[COL_ETCD] = { N_("etcd"), 3, false },
	[COL_WORKER] = { N_("worker"), 3, false },
};

static void build(struct hosts_screen *s, struct wizard *w)
{
	struct planform *pf = s->base.pf;
	static const char *const keys[] = { "name", "address", "port", "user" };

	planform_clear(pf);
	planform_add_heading(pf, plan_schema_find("hosts")->label, "hosts");
	planform_add_columns(pf, columns, sizeof columns / sizeof columns[0]);
	for (size_t i = 0; i < w->plan->n_hosts; i++) {
		char *row = xasprintf("hosts[%zu]", i);

		planform_add_row(pf, row);
		for (int c = COL_NAME; c <= COL_USER; c++) {
			char *path = xasprintf("%s.%s", row, keys[c]);

			struct pf_cell *cell = planform_add_cell_value(pf, c, path);

			cell->index = i;
			cell->action = ACT_HOST;
			free(path);
		}
		for (int c = COL_MASTER; c <= COL_WORKER; c++) {
			char *path = xasprintf("%s.roles", row);
			unsigned bit = c == COL_MASTER ? ROLE_MASTER : c == COL_ETCD ? ROLE_ETCD : ROLE_WORKER;

			struct pf_cell *cell = planform_add_cell_toggle(pf, c, path, bit);

			cell->index = i;
			cell->action = ACT_HOST;
			free(path);
		}
		free(row);
	}
	planform_add_button(pf, N_("Add host"), ACT_ADD, N_("Add a worker at the end of the table"));
	planform_add_heading(pf, plan_schema_find("ssh")->label, NULL);
	planform_add_section(pf, "ssh", false);
}

/* A host's empty port and user stand for the SSH section's. */
static char *hosts_shown(void *ctx, struct wizard *w, const struct pf_cell *c)
{
	(void)ctx;
	if (c->action != ACT_HOST || c->field == NULL)
		return NULL;
	if (c->col == COL_PORT && c->field->type == PT_UINT)
		return xasprintf("%u", w->plan->ssh.port);
	if (c->col == COL_USER && w->plan->ssh.user != NULL)
		return xstrdup(w->plan->ssh.user);
	return NULL;
}

/* Focus a cell of host i's row and, for a new host, start typing its name. */
static void focus_host(struct hosts_screen *s, size_t i, const char *key, struct wizard *w,
		       bool edit)
{
	char *path = xasprintf("hosts[%zu].%s", i, key);

	planform_focus_path(s->base.pf, path);
	free(path);
	if (edit)
		planform_edit(s->base.pf, w);
}

static int add_host(struct hosts_screen *s, struct wizard *w)
{
	const struct plan_host h = { .roles = ROLE_WORKER };

	plan_add_host(w->plan, &h);
	build(s, w);
	focus_host(s, w->plan->n_hosts - 1, "name", w, true);
	return UI_CHANGED | UI_SAVE | UI_REDRAW | UI_HANDLED;
}

static int hosts_activate(void *ctx, struct wizard *w, struct pf_cell *c)
{
	return c->action == ACT_ADD ? add_host(ctx, w) : 0;
}

static void *hosts_init(struct wizard *w)
{
	static const struct planform_ops ops = {
		.shown = hosts_shown,
		.activate = hosts_activate,
	};
	struct hosts_screen *s = xcalloc(1, sizeof *s);

	(void)w;
	s->base.pf = planform_new(&ops, s);
	return s;
}

static void hosts_enter(void *state, struct wizard *w)
{
	build(state, w);
}

/* The host whose row has the focus, or -1. */
static long focused_host(struct hosts_screen *s, struct wizard *w)
{
	const struct pf_cell *c = planform_focused(s->base.pf);

	if (c == NULL || c->action != ACT_HOST || c->index >= w->plan->n_hosts)
		return -1;
	return (long)c->index;
}

static int delete_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	struct hosts_screen *s = ctx;

	(void)text;
	if (choice != 0 || s->deleting >= w->plan->n_hosts)
		return UI_REDRAW;
	plan_remove_host(w->plan, s->deleting);
	build(s, w);
	if (w->plan->n_hosts > 0)
		focus_host(s, s->deleting < w->plan->n_hosts ? s->deleting : w->plan->n_hosts - 1,
			   "name", w, false);
	return UI_CHANGED | UI_SAVE | UI_REDRAW;
}

static int hosts_key(void *state, struct wizard *w, const struct ui_event *ev)
{
	struct hosts_screen *s = state;
	long i = planform_editing(s->base.pf) ? -1 : focused_host(s, w);
	wchar_t ch = ev->type == EV_CHAR ? ev->ch : 0;

	if (planform_editing(s->base.pf))
		return formscreen_key(state, w, ev);
	if (ch == 'a' || (ev->type == EV_KEY && ev->key == KEY_IC))
		return add_host(s, w);
	if (ch == '+' && i >= 0) {
		size_t n = planedit_duplicate_host(w->plan, (size_t)i);

		build(s, w);
		focus_host(s, n, "name", w, false);
		/* L10N: the new host's name and address. */
		wizard_status(w, STATUS_OK, _("Added %s at %s"),
			      w->plan->hosts[n].name != NULL ? w->plan->hosts[n].name : "?",
			      w->plan->hosts[n].address != NULL ? w->plan->hosts[n].address : "?");
		return UI_CHANGED | UI_SAVE | UI_REDRAW | UI_HANDLED;
	}
	if ((ch == '-' || (ev->type == EV_KEY && ev->key == KEY_DC)) && i >= 0) {
		static const char *items[2];
		const struct plan_host *h = &w->plan->hosts[i];
		/* L10N: the host's name and address. */
		char *text = xasprintf(_("Delete host %s (%s) from the plan?"),
				       h->name != NULL ? h->name : "?",
				       h->address != NULL ? h->address : "?");

		items[0] = _("Delete");
		items[1] = _("Cancel");
		s->deleting = (size_t)i;
		wizard_choose(w, _("Delete host"), text, items, 2, 1, false, delete_done, s);
		free(text);
		return UI_HANDLED | UI_REDRAW;
	}
	return formscreen_key(state, w, ev);
}

static void hosts_footer(void *state, struct wizard *w, struct footer *f)
{
	struct hosts_screen *s = state;

	formscreen_footer(state, w, f);
	if (planform_editing(s->base.pf))
		return;
	footer_add(f, "a", N_("add host"), 'a');
	if (focused_host(s, w) >= 0) {
		footer_add(f, "+", N_("duplicate"), '+');
		footer_add(f, "Del", N_("delete"), KEY_DC);
	}
}

const struct screen_ops screen_hosts_ops = {
	.name = "hosts",
	.title = N_("Servers"),
	.intro = N_("The hosts, their roles, and how to log in to them"),
	.init = hosts_init,
	.free = formscreen_free,
	.enter = hosts_enter,
	.draw = formscreen_draw,
	.key = hosts_key,
	.footer = hosts_footer,
	.focus = formscreen_focus,
	.commit = formscreen_commit,
	.focused = formscreen_focused,
	.cursor = formscreen_cursor,
};
