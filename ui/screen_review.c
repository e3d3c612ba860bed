/* The review page: every problem validation finds, each a link to its field,
 * what the bundle holds (as bundle check sees it), the Run button (disabled
 * while any error remains), and the whole plan on one scrolling page. */
#include "config.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "../src/bundle.h"
#include "../src/bundlecheck.h"
#include "../src/nls.h"
#include "../src/planedit.h"
#include "../src/xmalloc.h"
#include "formscreen.h"
#include "text.h"

enum { ACT_RUN = 1 };

/* "a > b" with both parts already translated: a new string. */
static char *join(char *a, const char *b)
{
	char *out = *a != '\0' ? xasprintf("%s > %s", a, b) : xstrdup(b);

	free(a);
	return out;
}

/* Where a problem's path is, in the words of the screens:
 * "Network > Pod network", "Servers > node3 > Address". */
static char *describe(struct wizard *w, const char *path)
{
	const struct plan_field *table = plan_schema();
	char *out = xstrdup("");

	while (*path != '\0' && table != NULL) {
		size_t len = strcspn(path, ".[");
		const struct plan_field *f = NULL;

		for (const struct plan_field *g = table; g->key != NULL; g++) {
			if (strlen(g->key) == len && strncmp(g->key, path, len) == 0)
				f = g;
		}
		if (f == NULL)
			break;
		out = join(out, _(f->label));
		path += len;
		if (f->type == PT_HOSTS && *path == '[') {
			unsigned long i = strtoul(path + 1, NULL, 10);
			char *host = i < w->plan->n_hosts && w->plan->hosts[i].name != NULL
					     ? xstrdup(w->plan->hosts[i].name)
					     : xasprintf(_("host %lu"), i + 1);

			out = join(out, host);
			free(host);
			path = strchr(path, ']') != NULL ? strchr(path, ']') + 1 : "";
		} else if (f->type == PT_MIRRORS && *path == '.') {
			/* The registry's name has dots of its own: the rest up
			 * to a '[' is the name. */
			size_t n = strcspn(path + 1, "[");
			char *name = xstrndup(path + 1, n);

			out = join(out, *name != '\0' ? name : "?");
			free(name);
			path += 1 + n;
			if (*path == '[') {
				char *item = xasprintf(_("Mirror %zu"),
						       (size_t)strtoul(path + 1, NULL, 10) + 1);

				out = join(out, item);
				free(item);
			}
			break;
		} else if (f->type == PT_STRLIST && *path == '[') {
			char *item = xasprintf(_("item %lu"), strtoul(path + 1, NULL, 10) + 1);

			out = join(out, item);
			free(item);
			break;
		}
		table = f->type == PT_SECTION || f->type == PT_HOSTS ? f->fields : NULL;
		if (*path == '.')
			path++;
	}
	return out;
}

/* label, padded to width columns, then value: one line of the summary. */
static char *summary_line(const char *label, int width, const char *value)
{
	int pad = width - text_width(label);

	return xasprintf("%s%*s  %s", label, pad > 0 ? pad : 0, "", value);
}

/* Every value of a section as "label   value" lines. */
static void add_summary(struct planform *pf, struct wizard *w, const char *path, int width)
{
	const struct plan_field *s = plan_schema_find(path);

	for (const struct plan_field *f = s->fields; f->key != NULL; f++) {
		char *sub = xasprintf("%s.%s", path, f->key);

		if (f->type == PT_SECTION) {
			add_summary(pf, w, sub, width);
		} else if (f->type != PT_MIRRORS) {
			const struct plan_field *vf = NULL;
			void *base = planedit_resolve(w->plan, sub, &vf);
			char *value = base != NULL ? planedit_get(base, vf) : xstrdup("");
			char *line = summary_line(_(f->label), width, *value != '\0' ? value : "-");

			planform_add_text(pf, line, false, ROLE_NORMAL);
			free(line);
			free(value);
		}
		free(sub);
	}
}

/* The widest label of the summary, so that values line up. */
static int label_width(const struct plan_field *table)
{
	int w = 0;

	for (const struct plan_field *f = table; f->key != NULL; f++) {
		int fw = f->type == PT_SECTION ? label_width(f->fields) : text_width(_(f->label));

		if (fw > w)
			w = fw;
	}
	return w;
}

static void add_plan(struct planform *pf, struct wizard *w)
{
	const struct plan *p = w->plan;
	int width = label_width(plan_schema());
	char *line = NULL;

	planform_add_heading(pf, N_("The plan"), NULL);
	line = summary_line(_(plan_schema_find("name")->label), width, p->name ? p->name : "-");
	planform_add_text(pf, line, false, ROLE_NORMAL);
	free(line);
	planform_add_heading(pf, plan_schema_find("hosts")->label, NULL);
	for (size_t i = 0; i < p->n_hosts; i++) {
		const struct plan_field *rf = NULL;
		char *path = xasprintf("hosts[%zu].roles", i);
		void *base = planedit_resolve(w->plan, path, &rf);
		char *roles = base != NULL ? planedit_get(base, rf) : xstrdup("");
		const char *name = p->hosts[i].name != NULL ? p->hosts[i].name : "?";
		const char *addr = p->hosts[i].address != NULL ? p->hosts[i].address : "?";

		line = xasprintf("%-16s %-18s %s", name, addr, roles);
		planform_add_text(pf, line, false, ROLE_NORMAL);
		free(line);
		free(roles);
		free(path);
	}
	for (const struct plan_field *f = plan_schema(); f->key != NULL; f++) {
		if (f->type != PT_SECTION)
			continue;
		planform_add_heading(pf, f->label, NULL);
		if (strcmp(f->key, "registries") == 0) {
			for (size_t i = 0; i < p->registries.n_mirrors; i++) {
				const struct plan_mirror *m = &p->registries.mirrors[i];
				char *list = xstrdup("");

				for (size_t j = 0; j < m->endpoints.n; j++) {
					char *next = xasprintf("%s%s%s", list, j > 0 ? ", " : "",
							       m->endpoints.v[j]);

					free(list);
					list = next;
				}
				line = summary_line(m->registry, width, list);
				planform_add_text(pf, line, false, ROLE_NORMAL);
				free(line);
				free(list);
			}
		}
		add_summary(pf, w, f->key, width);
	}
}

/* The bundle's files, counted the way bundle check counts them (without
 * their sha256: the page is rebuilt on every draw), and what is missing. */
static void add_bundle(struct planform *pf, struct wizard *w)
{
	struct bundlecheck c = { 0 };
	char *copy = xstrdup(w->plan_file != NULL ? w->plan_file : ".");
	char *err = NULL, *summary = NULL, *line = NULL, *shown = NULL;
	char *dir = bundle_dir(w->plan, w->plan_file != NULL ? dirname(copy) : NULL, &err);
	bool ok = false;

	if (dir == NULL) {
		/* L10N: why the bundle directory is not known. */
		line = xasprintf(_("Bundle: %s"), err);
	} else {
		bundlecheck_run(w->plan, dir, BUNDLECHECK_QUICK, &c);
		ok = bundlecheck_ok(&c);
		summary = bundlecheck_summary(&c);
		shown = wizard_home_short(dir);
		/* L10N: the bundle directory, then "8 of 10 files present;
		 * missing: ..." */
		line = xasprintf(_("Bundle %s: %s"), shown, summary);
	}
	planform_add_text(pf, line, false, ok ? ROLE_OK : ROLE_WARNING);
	if (!ok)
		planform_add_text(pf, N_("The run needs them: k8s-wizard bundle fetch -f PLAN"), true,
				  ROLE_WARNING);
	bundlecheck_clear(&c);
	free(shown);
	free(summary);
	free(line);
	free(dir);
	free(err);
	free(copy);
}

static void build(struct formscreen *s, struct wizard *w)
{
	struct planform *pf = s->pf;
	struct pf_cell *run = NULL;

	planform_clear(pf);
	if (w->errors == 0 && w->warnings == 0) {
		planform_add_text(pf, N_("No problems: the plan is ready to run."), true, ROLE_OK);
	} else {
		char *summary = xasprintf(P_("%zu error", "%zu errors", w->errors), w->errors);
		char *more = xasprintf(P_("%zu warning", "%zu warnings", w->warnings), w->warnings);
		/* L10N: "2 errors, 1 warning. Enter on a problem ..." */
		char *line = xasprintf(_("%s, %s. Enter on a problem goes to its field."), summary,
				       more);

		planform_add_text(pf, line, false, w->errors > 0 ? ROLE_ERROR : ROLE_WARNING);
		free(summary);
		free(more);
		free(line);
	}
	/* Errors first, then warnings. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < w->problems.n; i++) {
			const struct problem *p = &w->problems.v[i];
			char *where = NULL, *text = NULL;
			bool error = p->severity == PROBLEM_ERROR;

			if (error != (pass == 0))
				continue;
			where = describe(w, p->path);
			/* L10N: a problem on the review page: the symbol, where
			 * it is ("Network > Pod network") and what is wrong. */
			text = xasprintf(_("%s %s: %s"), text_symbol(error ? SYM_ERROR : SYM_WARNING),
					 where, p->message);
			planform_add_link(pf, text, error ? ROLE_ERROR : ROLE_WARNING, p->path);
			free(where);
			free(text);
		}
	}
	planform_add_blank(pf);
	add_bundle(pf, w);
	planform_add_blank(pf);
	run = planform_add_button(pf, N_("Run"), ACT_RUN,
				  w->errors > 0 ? N_("Fix the errors above before the run")
						: N_("Go to the run page"));
	run->disabled = w->errors > 0;
	add_plan(pf, w);
}

static int review_activate(void *ctx, struct wizard *w, struct pf_cell *c)
{
	(void)ctx;
	if (c->kind == PFC_LINK) {
		wizard_show_path(w, c->path);
		return UI_REDRAW;
	}
	return c->action == ACT_RUN ? UI_NEXT | UI_REDRAW : 0;
}

static void *review_init(struct wizard *w)
{
	static const struct planform_ops ops = { .activate = review_activate };
	struct formscreen *s = xcalloc(1, sizeof *s);

	(void)w;
	s->pf = planform_new(&ops, s);
	return s;
}

static void review_enter(void *state, struct wizard *w)
{
	build(state, w);
}

static void review_draw(void *state, struct wizard *w, WINDOW *win)
{
	/* The problems change with every edit elsewhere: list them afresh. */
	build(state, w);
	formscreen_draw(state, w, win);
}

static bool review_focused(void *state, struct wizard *w, const struct plan_field **field,
			   const char **path, const char **help)
{
	struct formscreen *s = state;
	struct pf_cell *c = planform_focused(s->pf);

	(void)w;
	if (c == NULL)
		return false;
	*field = NULL;
	*path = c->path;
	*help = c->kind == PFC_LINK ? N_("Enter goes to the field this problem is about")
				    : c->help;
	return true;
}

const struct screen_ops screen_review_ops = {
	.name = "review",
	.title = N_("Review"),
	.intro = N_("Every problem left, and the whole plan"),
	.init = review_init,
	.free = formscreen_free,
	.enter = review_enter,
	.draw = review_draw,
	.key = formscreen_key,
	.footer = formscreen_footer,
	.focused = review_focused,
};
