/* The verbs of a screen that is one planform: the screens whose state
 * starts with struct formscreen use these in their screen_ops and add only
 * what is their own (the rows, and keys like "add a host"). */
#ifndef K8SW_UI_FORMSCREEN_H
#define K8SW_UI_FORMSCREEN_H

#include "planform.h"
#include "wizard.h"

/* The first member of such a screen's state. */
struct formscreen {
	struct planform *pf;
};

/* The state of a screen that is one planform and nothing else. */
void *formscreen_init(struct wizard *w);
void formscreen_free(void **state);
void formscreen_draw(void *state, struct wizard *w, WINDOW *win);
int formscreen_key(void *state, struct wizard *w, const struct ui_event *ev);
void formscreen_footer(void *state, struct wizard *w, struct footer *f);
bool formscreen_focus(void *state, struct wizard *w, const char *path);
int formscreen_commit(void *state, struct wizard *w);
bool formscreen_focused(void *state, struct wizard *w, const struct plan_field **field,
			const char **path, const char **help);
bool formscreen_cursor(void *state, struct wizard *w);

#endif
