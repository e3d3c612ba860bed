/* The registries screen: the mirrors containerd tries for each upstream
 * registry (registries and their endpoints added and removed here), then the
 * images and repositories the cluster pulls. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../src/nls.h"
#include "../src/xmalloc.h"
#include "formscreen.h"

/* What a cell of this screen is: cells from the schema have none. */
enum { ACT_REGISTRY = 1, ACT_ENDPOINT, ACT_ADD_ENDPOINT, ACT_ADD_REGISTRY };

struct registries_screen {
	struct formscreen base;
	size_t deleting;
};

static void build(struct registries_screen *s, struct wizard *w)
{
	struct planform *pf = s->base.pf;
	const struct plan_registries *r = &w->plan->registries;

	planform_clear(pf);
	planform_add_heading(pf, plan_schema_find("registries.mirrors")->label,
			     "registries.mirrors");
	planform_add_text(pf, plan_schema_find("registries.mirrors")->help, true, ROLE_HELP);
	for (size_t i = 0; i < r->n_mirrors; i++) {
		const struct plan_mirror *m = &r->mirrors[i];
		char *path = xasprintf("registries.mirrors.%s", m->registry);
		struct pf_cell *c = planform_add_custom(pf, _("Upstream registry"), path,
							N_("Registry host the images name, such as "
							   "docker.io or quay.io"));

		c->action = ACT_REGISTRY;
		c->index = i;
		for (size_t j = 0; j < m->endpoints.n; j++) {
			char *label = xasprintf(_("Mirror %zu"), j + 1);
			char *epath = xasprintf("%s[%zu]", path, j);

			c = planform_add_custom(pf, label, epath,
						N_("URL of a mirror, tried in this order, such as "
						   "https://mirror.example.com"));
			c->action = ACT_ENDPOINT;
			c->index = i;
			c->sub = j;
			free(label);
			free(epath);
		}
		c = planform_add_button(pf, N_("Add mirror"), ACT_ADD_ENDPOINT,
					N_("Add a mirror endpoint to this registry"));
		c->index = i;
		free(path);
	}
	planform_add_button(pf, N_("Add registry"), ACT_ADD_REGISTRY,
			    N_("Add mirrors for another upstream registry"));
	planform_add_heading(pf, N_("Images"), NULL);
	planform_add_section(pf, "registries", false);
}

static char *registries_get(void *ctx, struct wizard *w, const struct pf_cell *c)
{
	const struct plan_registries *r = &w->plan->registries;

	(void)ctx;
	if (c->index >= r->n_mirrors)
		return xstrdup("");
	if (c->action == ACT_REGISTRY)
		return xstrdup(r->mirrors[c->index].registry);
	if (c->action == ACT_ENDPOINT && c->sub < r->mirrors[c->index].endpoints.n)
		return xstrdup(r->mirrors[c->index].endpoints.v[c->sub]);
	return xstrdup("");
}

/* Store a registry name or an endpoint. Empty text is stored as it is: the
 * validator says what is missing. */
static int registries_set(void *ctx, struct wizard *w, struct pf_cell *c, const char *text,
			  char **err)
{
	struct plan_registries *r = &w->plan->registries;
	size_t start = strspn(text, " \t");
	size_t len = strlen(text + start);
	char *value = NULL;

	(void)ctx;
	*err = NULL;
	while (len > 0 && (text[start + len - 1] == ' ' || text[start + len - 1] == '\t'))
		len--;
	value = xstrndup(text + start, len);
	if (c->index >= r->n_mirrors) {
		free(value);
		*err = xstrdup(_("this value cannot be changed here"));
		return -1;
	}
	if (c->action == ACT_REGISTRY) {
		free(r->mirrors[c->index].registry);
		r->mirrors[c->index].registry = value;
		/* Problems are reported under the registry's name. */
		free(c->path);
		c->path = xasprintf("registries.mirrors.%s", value);
		return 0;
	}
	if (c->action == ACT_ENDPOINT && c->sub < r->mirrors[c->index].endpoints.n) {
		free(r->mirrors[c->index].endpoints.v[c->sub]);
		r->mirrors[c->index].endpoints.v[c->sub] = value;
		return 0;
	}
	free(value);
	*err = xstrdup(_("this value cannot be changed here"));
	return -1;
}

/* Focus the n-th cell of a kind for mirror i (and start typing in it). */
static void focus_cell(struct registries_screen *s, struct wizard *w, int action, size_t i,
		       size_t sub)
{
	const struct plan_mirror *m = &w->plan->registries.mirrors[i];
	char *path = action == ACT_REGISTRY ? xasprintf("registries.mirrors.%s", m->registry)
					    : xasprintf("registries.mirrors.%s[%zu]", m->registry, sub);

	planform_focus_path(s->base.pf, path);
	free(path);
	planform_edit(s->base.pf, w);
}

static int registries_activate(void *ctx, struct wizard *w, struct pf_cell *c)
{
	struct registries_screen *s = ctx;
	struct plan_registries *r = &w->plan->registries;
	size_t i = c->index;

	if (c->action == ACT_ADD_ENDPOINT && i < r->n_mirrors) {
		strlist_add(&r->mirrors[i].endpoints, "");
		build(s, w);
		focus_cell(s, w, ACT_ENDPOINT, i, r->mirrors[i].endpoints.n - 1);
		return UI_CHANGED | UI_REDRAW;
	}
	if (c->action == ACT_ADD_REGISTRY) {
		plan_add_mirror(w->plan, "");
		build(s, w);
		focus_cell(s, w, ACT_REGISTRY, r->n_mirrors - 1, 0);
		return UI_CHANGED | UI_REDRAW;
	}
	return 0;
}

static void *registries_init(struct wizard *w)
{
	static const struct planform_ops ops = {
		.get = registries_get,
		.set = registries_set,
		.activate = registries_activate,
	};
	struct registries_screen *s = xcalloc(1, sizeof *s);

	(void)w;
	s->base.pf = planform_new(&ops, s);
	return s;
}

static void registries_enter(void *state, struct wizard *w)
{
	build(state, w);
}

static int delete_registry_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	struct registries_screen *s = ctx;

	(void)text;
	if (choice != 0 || s->deleting >= w->plan->registries.n_mirrors)
		return UI_REDRAW;
	plan_remove_mirror(w->plan, s->deleting);
	build(s, w);
	return UI_CHANGED | UI_SAVE | UI_REDRAW;
}

static int registries_key(void *state, struct wizard *w, const struct ui_event *ev)
{
	struct registries_screen *s = state;
	struct plan_registries *r = &w->plan->registries;
	const struct pf_cell *c = planform_focused(s->base.pf);
	int flags;

	if (!planform_editing(s->base.pf) && c != NULL && c->index < r->n_mirrors &&
	    ((ev->type == EV_KEY && ev->key == KEY_DC) || (ev->type == EV_CHAR && ev->ch == '-'))) {
		if (c->action == ACT_ENDPOINT && c->sub < r->mirrors[c->index].endpoints.n) {
			size_t i = c->index;

			strlist_remove(&r->mirrors[i].endpoints, c->sub);
			build(s, w);
			return UI_CHANGED | UI_SAVE | UI_REDRAW | UI_HANDLED;
		}
		if (c->action == ACT_REGISTRY) {
			static const char *items[2];
			char *text = xasprintf(_("Remove the mirrors of %s from the plan?"),
					       r->mirrors[c->index].registry);

			items[0] = _("Remove");
			items[1] = _("Cancel");
			s->deleting = c->index;
			wizard_choose(w, _("Remove registry"), text, items, 2, 1, false,
				      delete_registry_done, s);
			free(text);
			return UI_HANDLED | UI_REDRAW;
		}
	}
	flags = formscreen_key(state, w, ev);
	/* A registry renamed: the paths of its endpoints follow. */
	if (flags & UI_SAVE)
		build(s, w);
	return flags;
}

static int registries_commit(void *state, struct wizard *w)
{
	int flags = formscreen_commit(state, w);

	if (flags > 0 && (flags & UI_SAVE))
		build(state, w);
	return flags;
}

static void registries_footer(void *state, struct wizard *w, struct footer *f)
{
	struct registries_screen *s = state;
	const struct pf_cell *c = planform_focused(s->base.pf);

	formscreen_footer(state, w, f);
	if (!planform_editing(s->base.pf) && c != NULL &&
	    (c->action == ACT_ENDPOINT || c->action == ACT_REGISTRY) && c->field == NULL)
		footer_add(f, "Del", N_("remove"), KEY_DC);
}

const struct screen_ops screen_registries_ops = {
	.name = "registries",
	.title = N_("Registries"),
	.intro = N_("Registry mirrors and the images the cluster pulls"),
	.init = registries_init,
	.free = formscreen_free,
	.enter = registries_enter,
	.draw = formscreen_draw,
	.key = registries_key,
	.footer = registries_footer,
	.focus = formscreen_focus,
	.commit = registries_commit,
	.focused = formscreen_focused,
	.cursor = formscreen_cursor,
};
