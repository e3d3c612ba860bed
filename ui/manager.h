/* The screen manager's own state, shared by its three files and by nothing
 * else: ui.c (the loop, input, moving between screens, the plan's
 * validation and saving, dialogs), chrome.c (what is drawn around the
 * screens: the step bar, the title, the help line, the footer) and fkeys.c
 * (the flows of the keys that work on every screen: F1 help, F2 export, F3
 * language, F10 quit). Screens see only struct wizard (wizard.h). */
#ifndef K8SW_UI_MANAGER_H
#define K8SW_UI_MANAGER_H

#include <panel.h>
#include <stdbool.h>
#include <stddef.h>

#include "dialog.h"
#include "wizard.h"

#define N_SCREENS 7
#define SCREEN_REVIEW 5
#define SCREEN_RUN 6

/* Rows around the screen's own area. */
#define ROW_BAR 0
#define ROW_TITLE 1
#define CONTENT_TOP 2
#define ROWS_BELOW 3 /* the help line and two footer lines */

/* A place on the terminal that a click turns into a key or a screen. */
struct hotspot {
	int y, x, w;
	int key;    /* the key it sends, or 0 */
	int screen; /* the screen it goes to, or -1 */
};

#define MAX_HOTSPOTS 32

struct manager {
	struct wizard w; /* first: the screens' wizard is the manager */
	void *state[N_SCREENS];
	WINDOW *base;
	PANEL *base_panel;
	WINDOW *content;
	bool too_small;

	struct dialog *dialog;
	dialog_done_fn done;
	void *done_ctx;

	char *export_path; /* the path last exported to */
	bool quit;
	char *farewell; /* printed once the terminal is back */

	struct hotspot hot[MAX_HOTSPOTS];
	size_t n_hot;
};

extern const struct screen_ops *const manager_screens[N_SCREENS];

static inline struct manager *manager_of(struct wizard *w)
{
	return (struct manager *)w;
}

/* ui.c */
void manager_validate(struct manager *m);
int manager_autosave(struct manager *m);
bool manager_plan_changed(struct manager *m);
bool manager_commit_screen(struct manager *m);
void manager_enter_all(struct manager *m);
/* A screen whose work must not be left (a run): its name, or NULL. */
const struct screen_ops *manager_busy_screen(struct manager *m, void **state);

/* chrome.c: everything on the terminal, screen and dialog included. */
void chrome_draw(struct manager *m);
void chrome_add_hotspot(struct manager *m, int y, int x, int w, int key, int screen);

/* fkeys.c */
void fkeys_help(struct manager *m);
void fkeys_export(struct manager *m);
/* F3: to Chinese, or back to English; when Chinese cannot be shown (its
 * locale is not generated, its catalog not found), a dialog says why and
 * how to get it instead. */
void fkeys_language(struct manager *m);
/* At start: a status line when the environment asks for Chinese and the
 * wizard cannot show it. */
void fkeys_language_notice(struct manager *m);
void fkeys_quit(struct manager *m);
/* Whether the messages are in Chinese now (asked for, and the catalog
 * found). */
bool fkeys_chinese(void);

#endif
