/* Screens made of one planform share these verbs: they pass everything to
 * the form. The state of each such screen begins with struct formscreen, so
 * these can find the form without knowing the rest. */
#include "config.h"

#include "formscreen.h"

#include <stdlib.h>

#include "../src/xmalloc.h"

void *formscreen_init(struct wizard *w)
{
	static const struct planform_ops ops = { 0 };
	struct formscreen *s = xcalloc(1, sizeof *s);

	(void)w;
	s->pf = planform_new(&ops, s);
	return s;
}

void formscreen_free(void **state)
{
	struct formscreen *s = *state;

	if (s == NULL)
		return;
	planform_free(&s->pf);
	free(s);
	*state = NULL;
}

void formscreen_draw(void *state, struct wizard *w, WINDOW *win)
{
	planform_draw(((struct formscreen *)state)->pf, w, win);
}

int formscreen_key(void *state, struct wizard *w, const struct ui_event *ev)
{
	return planform_key(((struct formscreen *)state)->pf, w, ev);
}

void formscreen_footer(void *state, struct wizard *w, struct footer *f)
{
	(void)w;
	planform_footer(((struct formscreen *)state)->pf, f);
}

bool formscreen_focus(void *state, struct wizard *w, const char *path)
{
	(void)w;
	return planform_focus_path(((struct formscreen *)state)->pf, path);
}

int formscreen_commit(void *state, struct wizard *w)
{
	int flags = 0;

	return planform_commit(((struct formscreen *)state)->pf, w, &flags) ? flags : -1;
}

bool formscreen_focused(void *state, struct wizard *w, const struct plan_field **field,
			const char **path, const char **help)
{
	struct pf_cell *c = planform_focused(((struct formscreen *)state)->pf);

	(void)w;
	if (c == NULL)
		return false;
	*field = c->field;
	*path = c->path;
	*help = c->field != NULL ? c->field->help : c->help;
	return true;
}

bool formscreen_cursor(void *state, struct wizard *w)
{
	(void)w;
	return planform_cursor(((struct formscreen *)state)->pf);
}
