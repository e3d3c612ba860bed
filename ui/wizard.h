/* What the screen manager (ui.c) and the screens share: the wizard's state,
 * input events, the verbs every screen exports and the result flags of its
 * key handler.
 *
 * Call order: the manager calls each screen's init once, enter whenever the
 * screen is shown or its data changed under it (another plan, another
 * language, another terminal size), then draw and key as events come. Only
 * the manager reads input; a screen never calls getch. A screen changes the
 * plan only inside key (or a dialog callback) and says so with UI_CHANGED;
 * the manager then validates the plan again and, with UI_SAVE, saves it. */
#ifndef K8SW_UI_WIZARD_H
#define K8SW_UI_WIZARD_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#include "../src/plan.h"
#include "../src/planstore.h"
#include "../src/problem.h"

/* The smallest terminal the screens are laid out for. */
#define UI_MIN_COLS 80
#define UI_MIN_LINES 24

enum ui_event_type {
	EV_KEY,    /* a function key (KEY_*) or a control character */
	EV_CHAR,   /* a printable character */
	EV_CLICK,  /* button 1 pressed at y, x (screen coordinates) */
	EV_SCROLL, /* the wheel: delta lines, negative is up */
};

struct ui_event {
	enum ui_event_type type;
	int key;    /* EV_KEY */
	wchar_t ch; /* EV_CHAR */
	int y, x;   /* EV_CLICK */
	int delta;  /* EV_SCROLL */
};

/* Control characters as they arrive in EV_KEY. */
#define UI_KEY_TAB '\t'
#define UI_KEY_ENTER '\n'
#define UI_KEY_ESC 27
#define UI_KEY_CTRL(c) ((c) & 0x1f)

/* Results of a screen's key handler, or'ed. */
enum {
	UI_HANDLED = 1 << 0, /* the screen used the event */
	UI_REDRAW = 1 << 1,  /* something on screen changed */
	UI_CHANGED = 1 << 2, /* the plan changed: validate it again */
	UI_SAVE = 1 << 3,    /* an edit is complete: save the plan */
	UI_NEXT = 1 << 4,    /* go to the next screen */
	UI_BACK = 1 << 5,    /* go to the previous screen */
	UI_REBUILD = 1 << 6, /* every screen's layout depends on what changed */
};

/* One key shown in the footer: the key's name as printed on the keyboard
 * (not translated) and what it does (N_()-marked). key is what a click on
 * it sends. */
struct footer_key {
	const char *name;
	const char *what;
	int key;
};

#define FOOTER_MAX 12

struct footer {
	struct footer_key keys[FOOTER_MAX];
	size_t n;
};

void footer_add(struct footer *f, const char *name, const char *what, int key);

struct wizard;

/* A screen of the wizard. Every member but name and title may be NULL. */
struct screen_ops {
	const char *name;  /* "network": remembered for Resume, never shown */
	const char *title; /* N_(): in the step bar */
	const char *intro; /* N_(): one line under the step bar */
	void *(*init)(struct wizard *w);
	void (*free)(void **state);
	void (*enter)(void *state, struct wizard *w);
	/* Draw into win, the area between the title line and the help line. */
	void (*draw)(void *state, struct wizard *w, WINDOW *win);
	int (*key)(void *state, struct wizard *w, const struct ui_event *ev);
	/* The screen's own keys, before the global ones. */
	void (*footer)(void *state, struct wizard *w, struct footer *f);
	/* Show the field a problem's path names; false when it is not here. */
	bool (*focus)(void *state, struct wizard *w, const char *path);
	/* Finish an edit in progress before leaving the screen: UI_* flags,
	 * or -1 (with the reason shown) when the text cannot be stored. */
	int (*commit)(void *state, struct wizard *w);
	/* The focused field, for F1 and the help line: its schema entry (or
	 * NULL), its path and a help text (N_()-marked) for fields that are not
	 * in the schema. Returns false when nothing is focused. */
	bool (*focused)(void *state, struct wizard *w, const struct plan_field **field,
			const char **path, const char **help);
	/* Where the terminal cursor goes (an editor's), in screen coordinates;
	 * false to hide it. */
	bool (*cursor)(void *state, struct wizard *w);
	/* Work going on in the background (the Run page's install): the fd the
	 * loop sleeps on for it (-1: none) and, in *timeout_ms, the longest it
	 * may sleep before calling wake anyway (-1: no limit). The manager asks
	 * every screen that has these, shown or not. */
	int (*wait)(void *state, struct wizard *w, int *timeout_ms);
	/* Take what the background work brought, spending at most budget_ms
	 * (the rest waits for the next turn): UI_* flags. Called every turn. */
	int (*wake)(void *state, struct wizard *w, int budget_ms);
	/* Work that must not be left: moving to another screen is refused
	 * while it returns true. */
	bool (*busy)(void *state, struct wizard *w);
	/* F10 or Ctrl-C: true when the screen takes it (it offers to stop its
	 * run) instead of the wizard quitting. */
	bool (*quit)(void *state, struct wizard *w);
};

extern const struct screen_ops screen_welcome_ops;
extern const struct screen_ops screen_hosts_ops;
extern const struct screen_ops screen_network_ops;
extern const struct screen_ops screen_registries_ops;
extern const struct screen_ops screen_options_ops;
extern const struct screen_ops screen_review_ops;
extern const struct screen_ops screen_run_ops;

/* How the wizard came to its plan, for the welcome screen. */
enum wizard_origin {
	ORIGIN_DEFAULT, /* nothing saved: the guide's plan */
	ORIGIN_FILE,    /* --plan FILE */
	ORIGIN_SAVED,   /* the newest plan saved in the state directory */
	ORIGIN_BROKEN,  /* a saved plan exists but does not load */
};

/* A cluster whose saved plan this session wrote, and what was there before,
 * so that quitting with Discard can put it back. */
struct wizard_touched {
	char *cluster;
	char *before; /* NULL: there was no saved plan */
	size_t len;
};

enum status_kind { STATUS_INFO, STATUS_OK, STATUS_ERROR };

struct ui_options;

struct wizard {
	const struct ui_options *opt; /* the program's options (ui.h) */
	struct plan *plan;
	struct problems problems; /* of plan, as plancheck_run() finds them */
	size_t errors, warnings;

	enum wizard_origin origin;
	const char *plan_file;   /* --plan FILE, or NULL */
	char *load_error;        /* ORIGIN_BROKEN: why the saved plan did not load */
	char *saved_cluster;     /* ORIGIN_SAVED/BROKEN: whose plan it is */
	char *saved_screen;      /* ORIGIN_SAVED: where the operator left off */
	time_t saved_mtime;
	size_t n_saved;          /* saved plans of all clusters */
	char *baseline;          /* the plan as opened (YAML), to see changes */

	struct wizard_touched *touched;
	size_t n_touched;
	bool store_active; /* the state directory holds this plan: keep it current */

	size_t screen;     /* index of the current screen */
	unsigned generation; /* bumped on a language switch: rebuild texts */

	char *status; /* one message for the help line until the next key */
	enum status_kind status_kind;

	/* Set by the welcome page's Resume: the Run page starts the run as
	 * soon as it is shown. */
	bool start_run;
};

/* Show a message on the help line until the next key. */
void wizard_status(struct wizard *w, enum status_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Replace the plan (the welcome screen's Start over and Resume). */
void wizard_set_plan(struct wizard *w, struct plan *plan);

/* Save the plan in the state directory now (as UI_SAVE does after the
 * screen's key). Returns false, with the reason on the status line, when it
 * could not be saved. */
bool wizard_save(struct wizard *w);

/* Go to the screen with that name; false when there is none. */
bool wizard_goto(struct wizard *w, const char *name);

/* Show the field of a problem, on whichever screen has it. */
bool wizard_show_path(struct wizard *w, const char *path);

/* The dialogs a screen can open. The manager shows them above everything
 * and calls done with the outcome when the operator answers: choice is the
 * index of the chosen button or item (-1 when cancelled) and text the input
 * (NULL without input). done may return UI_* flags. */
typedef int (*dialog_done_fn)(struct wizard *w, void *ctx, int choice, const char *text);

void wizard_choose(struct wizard *w, const char *title, const char *text,
		   const char *const *items, size_t n_items, int selected, bool vertical,
		   dialog_done_fn done, void *ctx);
void wizard_message(struct wizard *w, const char *title, const char *text);

/* A dialog that asks for a secret: what is typed is never drawn, and the
 * text done receives is wiped when done returns (copy nothing of it). */
void wizard_ask_secret(struct wizard *w, const char *title, const char *text,
		       dialog_done_fn done, void *ctx);

/* Whether a dialog is open (a question waits until none is). */
bool wizard_dialog_open(struct wizard *w);

/* The open dialog shows the end of its text first (a log). */
void wizard_dialog_scroll_end(struct wizard *w);

/* The name of the current screen ("run"). */
const char *wizard_screen_name(const struct wizard *w);

/* path for display, the home directory as "~": "~/.kube/config". A new
 * string ("" for NULL). */
char *wizard_home_short(const char *path);

/* The state directory for display: "~/.local/state/k8s-wizard/kubernetes". */
char *wizard_statedir_display(const char *cluster);

#endif
