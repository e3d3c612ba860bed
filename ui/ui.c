/* The screen manager: it owns the terminal, reads every key, draws the step
 * bar, the title, the help line and the footer around the current screen,
 * and does what is the same on every screen: moving between screens,
 * validating the plan after each change and saving it to the state
 * directory, help (F1), export (F2), the language switch (F3), quitting
 * (F10), the dialogs, resizes and signals. */
#include "config.h"

#include "ui.h"

#include <errno.h>
#include <locale.h>
#include <panel.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/nls.h"
#include "../src/plancheck.h"
#include "../src/planfile.h"
#include "../src/planstore.h"
#include "../src/statedir.h"
#include "../src/xmalloc.h"
#include "dialog.h"
#include "text.h"
#include "theme.h"
#include "wizard.h"

static const struct screen_ops *const screens[] = {
	&screen_welcome_ops, &screen_hosts_ops,  &screen_network_ops, &screen_registries_ops,
	&screen_options_ops, &screen_review_ops, &screen_run_ops,
};

#define N_SCREENS (sizeof screens / sizeof screens[0])
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

/* Signals and the fatal-allocation hook only set or read these. */
static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t curses_active;

static struct manager *manager_of(struct wizard *w)
{
	return (struct manager *)w;
}

/* Give the terminal back. Safe to call twice. */
static void restore_terminal(void)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
}

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Messages and footers. */

void wizard_status(struct wizard *w, enum status_kind kind, const char *fmt, ...)
{
	va_list ap;

	free(w->status);
	va_start(ap, fmt);
	w->status = xvasprintf(fmt, ap);
	va_end(ap);
	w->status_kind = kind;
}

void footer_add(struct footer *f, const char *name, const char *what, int key)
{
	if (f->n < FOOTER_MAX)
		f->keys[f->n++] = (struct footer_key){ name, what, key };
}

char *wizard_statedir_display(const char *cluster)
{
	char *err = NULL;
	char *path = statedir_path(cluster != NULL ? cluster : "", &err);
	const char *home = getenv("HOME");
	char *shown = NULL;

	if (path == NULL)
		return err;
	if (home != NULL && home[0] == '/' && strlen(home) > 1 &&
	    strncmp(path, home, strlen(home)) == 0 && path[strlen(home)] == '/') {
		shown = xasprintf("~%s", path + strlen(home));
		free(path);
		return shown;
	}
	return path;
}

/* The plan: validation and saving. */

static void validate(struct manager *m)
{
	problems_clear(&m->w.problems);
	m->w.errors = plancheck_run(m->w.plan, &m->w.problems);
	m->w.warnings = problems_count(&m->w.problems, PROBLEM_WARNING);
}

/* Remember what cluster's saved plan was before this session first writes
 * it, for Discard. */
static void touch(struct manager *m, const char *cluster)
{
	struct wizard *w = &m->w;
	struct wizard_touched *t = NULL;

	for (size_t i = 0; i < w->n_touched; i++) {
		if (strcmp(w->touched[i].cluster, cluster) == 0)
			return;
	}
	w->touched = xreallocarray(w->touched, w->n_touched + 1, sizeof *w->touched);
	t = &w->touched[w->n_touched++];
	t->cluster = xstrdup(cluster);
	t->before = planstore_read(cluster, &t->len);
}

/* Save the plan in its state directory. Returns 0, or -1 with the reason on
 * the help line. */
static int autosave(struct manager *m)
{
	struct wizard *w = &m->w;
	char *err = NULL;
	char *path = planstore_path(w->plan->name, &err);

	if (path == NULL) {
		wizard_status(w, STATUS_ERROR, _("Not saved: %s"), err);
		free(err);
		return -1;
	}
	free(path);
	touch(m, w->plan->name);
	if (planstore_save(w->plan, &err) < 0 ||
	    planstore_set_screen(w->plan->name, screens[w->screen]->name, &err) < 0) {
		wizard_status(w, STATUS_ERROR, _("Not saved: %s"), err);
		free(err);
		return -1;
	}
	w->store_active = true;
	return 0;
}

static bool plan_changed(struct manager *m)
{
	char *now = planfile_emit(m->w.plan, NULL);
	bool changed = strcmp(now, m->w.baseline) != 0;

	free(now);
	return changed;
}

/* Screens. */

static void enter_all(struct manager *m)
{
	for (size_t i = 0; i < N_SCREENS; i++) {
		if (screens[i]->enter != NULL)
			screens[i]->enter(m->state[i], &m->w);
	}
}

static void apply_flags(struct manager *m, int flags);

/* Finish the current screen's edit. Returns false when it cannot be. */
static bool commit_screen(struct manager *m)
{
	const struct screen_ops *ops = screens[m->w.screen];
	int flags = 0;

	if (ops->commit == NULL)
		return true;
	flags = ops->commit(m->state[m->w.screen], &m->w);
	if (flags < 0) {
		wizard_status(&m->w, STATUS_ERROR, "%s",
			      _("Finish or undo (Esc) the value being typed first."));
		return false;
	}
	apply_flags(m, flags & (UI_CHANGED | UI_SAVE));
	return true;
}

static bool go_screen(struct manager *m, size_t to)
{
	struct wizard *w = &m->w;
	char *err = NULL;

	if (to >= N_SCREENS || to == w->screen)
		return to == w->screen;
	if (!commit_screen(m))
		return false;
	if (to == SCREEN_RUN && w->errors > 0) {
		wizard_status(w, STATUS_ERROR,
			      P_("The plan has %zu error: fix it on the review page before the run.",
				 "The plan has %zu errors: fix them on the review page before the run.",
				 w->errors), w->errors);
		return false;
	}
	w->screen = to;
	if (screens[to]->enter != NULL)
		screens[to]->enter(m->state[to], w);
	/* Remember the screen for Resume, once the plan is saved at all. */
	if (w->store_active && planstore_set_screen(w->plan->name, screens[to]->name, &err) < 0)
		free(err);
	return true;
}

bool wizard_goto(struct wizard *w, const char *name)
{
	for (size_t i = 0; i < N_SCREENS; i++) {
		if (strcmp(screens[i]->name, name) == 0)
			return go_screen(manager_of(w), i);
	}
	return false;
}

bool wizard_show_path(struct wizard *w, const char *path)
{
	struct manager *m = manager_of(w);

	for (size_t i = 0; i < N_SCREENS; i++) {
		const struct screen_ops *ops = screens[i];

		if (ops->focus == NULL)
			continue;
		if (ops->enter != NULL)
			ops->enter(m->state[i], w);
		if (ops->focus(m->state[i], w, path))
			return go_screen(m, i);
	}
	return false;
}

void wizard_set_plan(struct wizard *w, struct plan *plan)
{
	struct manager *m = manager_of(w);

	plan_free(&w->plan);
	w->plan = plan;
	validate(m);
	enter_all(m);
}

static void apply_flags(struct manager *m, int flags)
{
	if (flags & UI_CHANGED)
		validate(m);
	if (flags & UI_SAVE)
		autosave(m);
	if (flags & UI_REBUILD)
		enter_all(m);
	if (flags & UI_NEXT)
		go_screen(m, m->w.screen + 1);
	if ((flags & UI_BACK) && m->w.screen > 0)
		go_screen(m, m->w.screen - 1);
}

/* Dialogs. */

void wizard_choose(struct wizard *w, const char *title, const char *text,
		   const char *const *items, size_t n_items, int selected, bool vertical,
		   dialog_done_fn done, void *ctx)
{
	struct manager *m = manager_of(w);

	dialog_free(&m->dialog);
	m->dialog = dialog_new(title, text != NULL ? text : "");
	if (n_items > 0)
		dialog_set_items(m->dialog, items, n_items, selected, vertical);
	m->done = done;
	m->done_ctx = ctx;
}

void wizard_message(struct wizard *w, const char *title, const char *text)
{
	wizard_choose(w, title, text, NULL, 0, 0, false, NULL, NULL);
}

static void ask_input(struct manager *m, const char *title, const char *text,
		      const char *initial, dialog_done_fn done)
{
	wizard_choose(&m->w, title, text, NULL, 0, 0, false, done, m);
	dialog_set_input(m->dialog, initial);
}

/* Append a line to *text. */
static void add_line(char **text, const char *line)
{
	char *next = xasprintf("%s%s\n", *text, line);

	free(*text);
	*text = next;
}

/* The line of help that says what a field accepts, or NULL: a new string. */
static char *accepts(const struct plan_field *f)
{
	char *list = NULL, *line = NULL;

	switch (f->type) {
	case PT_ENUM:
		list = xstrdup(f->enum_names[0]);
		for (size_t i = 1; f->enum_names[i] != NULL; i++) {
			char *l = xasprintf("%s, %s", list, f->enum_names[i]);

			free(list);
			list = l;
		}
		line = xasprintf(_("Choices: %s"), list);
		free(list);
		return line;
	case PT_UINT:
		/* L10N: the smallest and the largest value of a number. */
		return xasprintf(_("A whole number from %u to %u."), f->min, f->max);
	case PT_STRLIST:
		return xstrdup(_("Several values: separate them with commas."));
	case PT_STRING:
		return f->optional ? xstrdup(_("May be left empty.")) : NULL;
	default:
		return NULL;
	}
}

/* F1: what the focused field is for, what it accepts, what is wrong with it. */
static void show_help(struct manager *m)
{
	const struct screen_ops *ops = screens[m->w.screen];
	const struct plan_field *f = NULL;
	const char *path = NULL, *help = NULL;
	char *text = xstrdup("");
	char *line = NULL;

	if (ops->focused != NULL && ops->focused(m->state[m->w.screen], &m->w, &f, &path, &help)) {
		if (help != NULL) {
			add_line(&text, _(help));
			add_line(&text, "");
		}
		if (f != NULL) {
			line = xasprintf(_("In the plan file: %s"), path);
			add_line(&text, line);
			free(line);
			line = accepts(f);
			if (line != NULL)
				add_line(&text, line);
			free(line);
			if (f->def != NULL && *f->def != '\0' && f->type != PT_ROLES) {
				line = xasprintf(_("Default: %s"), f->def);
				add_line(&text, line);
				free(line);
			}
		}
		for (size_t i = 0; path != NULL && *path != '\0' && i < m->w.problems.n; i++) {
			const struct problem *p = &m->w.problems.v[i];

			if (!problems_match(p, path, f == NULL))
				continue;
			line = xasprintf("%s %s",
					 text_symbol(p->severity == PROBLEM_ERROR ? SYM_ERROR : SYM_WARNING),
					 p->message);
			add_line(&text, line);
			free(line);
		}
		add_line(&text, "");
	}
	add_line(&text, _("Keys: Tab and Shift-Tab move between fields, Enter edits a value "
			  "(Enter or Tab again to finish, Esc to undo), PgDn and PgUp change "
			  "the page, F2 exports the plan, F3 switches the language, F10 "
			  "quits. The plan is saved after every change."));
	wizard_message(&m->w, f != NULL ? _(f->label) : _("Help"), text);
	free(text);
}

/* F2: export the plan. */

static int export_write(struct manager *m)
{
	char *err = NULL;

	if (planfile_save(m->w.plan, m->export_path, &err) < 0) {
		wizard_message(&m->w, _("Export failed"), err);
		free(err);
		return UI_REDRAW;
	}
	if (m->w.errors > 0)
		/* L10N: the file, and how many errors the plan has. */
		wizard_status(&m->w, STATUS_INFO,
			      P_("Plan written to %s; it still has %zu error.",
				 "Plan written to %s; it still has %zu errors.", m->w.errors),
			      m->export_path, m->w.errors);
	else
		wizard_status(&m->w, STATUS_OK, _("Plan written to %s."), m->export_path);
	return UI_REDRAW;
}

static int overwrite_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	(void)text;
	if (choice != 0) {
		wizard_status(w, STATUS_INFO, "%s", _("Export cancelled."));
		return UI_REDRAW;
	}
	return export_write(ctx);
}

static int export_path_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	struct manager *m = ctx;
	const char *home = getenv("HOME");
	struct stat st;
	size_t start = strspn(text != NULL ? text : "", " \t");
	char *path = NULL;

	if (choice < 0 || text == NULL || text[start] == '\0') {
		wizard_status(w, STATUS_INFO, "%s", _("Export cancelled."));
		return UI_REDRAW;
	}
	/* ~/ means the home directory, as in a shell. */
	if (strncmp(text + start, "~/", 2) == 0 && home != NULL)
		path = xasprintf("%s%s", home, text + start + 1);
	else
		path = xstrdup(text + start);
	free(m->export_path);
	m->export_path = path;
	if (stat(path, &st) == 0) {
		static const char *items[2];
		char *question = NULL;

		if (S_ISDIR(st.st_mode)) {
			question = xasprintf(_("%s is a directory: give the path of a file."), path);
			wizard_message(w, _("Export"), question);
			free(question);
			return UI_REDRAW;
		}
		items[0] = _("Replace");
		items[1] = _("Cancel");
		question = xasprintf(_("%s exists. Replace it with this plan?"), path);
		wizard_choose(w, _("File exists"), question, items, 2, 1, false, overwrite_done, m);
		free(question);
		return UI_REDRAW;
	}
	return export_write(m);
}

static void ask_export(struct manager *m)
{
	char *initial = NULL, *text = NULL;

	if (!commit_screen(m))
		return;
	if (m->export_path != NULL)
		initial = xstrdup(m->export_path);
	else if (m->w.plan_file != NULL)
		initial = xstrdup(m->w.plan_file);
	else
		initial = xasprintf("%s.yaml", m->w.plan->name != NULL ? m->w.plan->name : "plan");
	if (m->w.errors > 0)
		text = xasprintf(P_("Write the plan as YAML to this file. It still has %zu error, "
				    "which 'plan check' will report.",
				    "Write the plan as YAML to this file. It still has %zu errors, "
				    "which 'plan check' will report.", m->w.errors), m->w.errors);
	else
		text = xstrdup(_("Write the plan as YAML to this file."));
	ask_input(m, _("Export the plan"), text, initial, export_path_done);
	free(text);
	free(initial);
}

/* F10: quit, saving or discarding what changed. */

static int quit_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	struct manager *m = ctx;
	char *err = NULL;

	(void)text;
	if (choice == 0) {
		if (autosave(m) < 0) {
			wizard_message(w, _("Cannot save"), w->status);
			return UI_REDRAW;
		}
		if (w->plan_file != NULL && planfile_save(w->plan, w->plan_file, &err) < 0) {
			wizard_message(w, _("Cannot save"), err);
			free(err);
			return UI_REDRAW;
		}
		m->quit = true;
	} else if (choice == 1) {
		for (size_t i = 0; i < w->n_touched; i++) {
			const struct wizard_touched *t = &w->touched[i];

			if (planstore_restore(t->cluster, t->before, t->len, &err) < 0) {
				char *line = xasprintf("%s%s\n", m->farewell ? m->farewell : "", err);

				free(m->farewell);
				m->farewell = line;
				xfree(&err);
			}
		}
		w->store_active = false;
		m->quit = true;
	}
	return UI_REDRAW;
}

static void ask_quit(struct manager *m)
{
	static const char *items[3];
	char *text = NULL;

	/* A value that cannot be stored is left as it was; quitting still
	 * works. */
	commit_screen(m);
	if (!plan_changed(m)) {
		m->quit = true;
		return;
	}
	/* L10N: dialog buttons: one short word each. */
	items[0] = _("Save");
	items[1] = _("Discard");
	items[2] = _("Cancel");
	if (m->w.plan_file != NULL)
		text = xasprintf(_("The plan has changed. Save it (to %s and to the state directory) "
				   "or discard the changes?"), m->w.plan_file);
	else
		text = xstrdup(_("The plan has changed since the wizard started. Keep it in the "
				 "state directory, or discard the changes?"));
	wizard_choose(&m->w, _("Quit"), text, items, 3, 0, false, quit_done, m);
	free(text);
}

/* F3: English <-> Chinese, keeping everything typed. */

static bool chinese(void)
{
	const char *messages = setlocale(LC_MESSAGES, NULL);
	const char *language = getenv("LANGUAGE");

	/* gettext ignores LANGUAGE in the C locale. */
	if (messages == NULL || strcmp(messages, "C") == 0 || strcmp(messages, "POSIX") == 0)
		return false;
	if (language != NULL && *language != '\0')
		return strncmp(language, "zh", 2) == 0;
	return strncmp(messages, "zh", 2) == 0;
}

static void switch_language(struct manager *m)
{
	bool to_chinese = !chinese();
	const char *old = getenv("LANGUAGE");
	char *saved = old != NULL ? xstrdup(old) : NULL;
	/* L10N: a message that must be translated: it tells whether the
	 * Chinese catalog was found. Translate it as "语言：中文". */
	const char *probe = N_("Language: English");

	if (to_chinese && !text_utf8()) {
		wizard_status(&m->w, STATUS_ERROR, "%s",
			      _("Chinese needs a UTF-8 terminal: start k8s-wizard with "
				"LANG=zh_CN.UTF-8 or C.UTF-8."));
		free(saved);
		return;
	}
	setenv("LANGUAGE", to_chinese ? "zh_CN" : "en", 1);
	/* Setting the locale again makes gettext forget its cached
	 * translations. */
	setlocale(LC_MESSAGES, "");
	if (to_chinese && strcmp(_(probe), probe) == 0) {
		if (saved != NULL)
			setenv("LANGUAGE", saved, 1);
		else
			unsetenv("LANGUAGE");
		setlocale(LC_MESSAGES, "");
		wizard_status(&m->w, STATUS_ERROR, _("No Chinese translation found in %s."),
			      bindtextdomain(PACKAGE, NULL));
		free(saved);
		return;
	}
	free(saved);
	m->w.generation++;
	validate(m);
	enter_all(m);
}

/* Drawing. */

static void add_hotspot(struct manager *m, int y, int x, int w, int key, int screen)
{
	if (m->n_hot < MAX_HOTSPOTS)
		m->hot[m->n_hot++] = (struct hotspot){ y, x, w, key, screen };
}

static void draw_bar(struct manager *m)
{
	int x = 0;

	wattrset(m->base, (int)theme_attr(ROLE_BAR));
	mvwhline(m->base, ROW_BAR, 0, ' ', COLS);
	for (size_t i = 0; i < N_SCREENS; i++) {
		char *label = xasprintf(" %zu %s ", i + 1, _(screens[i]->title));
		int lw = text_width(label);
		enum theme_role role = i == m->w.screen ? ROLE_BAR_CURRENT
				       : i == SCREEN_RUN && m->w.errors > 0 ? ROLE_BAR_DISABLED
									     : ROLE_BAR;

		if (x + lw > COLS) {
			free(label);
			break;
		}
		text_draw(m->base, ROW_BAR, x, label, lw, theme_attr(role), false);
		add_hotspot(m, ROW_BAR, x, lw, 0, (int)i);
		x += lw;
		free(label);
	}
	if (x + 12 <= COLS)
		text_draw(m->base, ROW_BAR, COLS - 11, PACKAGE, 10, theme_attr(ROLE_BAR), false);
}

static void draw_title(struct manager *m)
{
	struct wizard *w = &m->w;
	char *summary = NULL;
	enum theme_role role = ROLE_OK;
	int sw;

	/* L10N: the title line's summary: a symbol (✗, ! or ✓) and a count. */
	if (w->errors > 0) {
		summary = xasprintf(P_("%s %zu error", "%s %zu errors", w->errors),
				    text_symbol(SYM_ERROR), w->errors);
		role = ROLE_ERROR;
	} else if (w->warnings > 0) {
		summary = xasprintf(P_("%s %zu warning", "%s %zu warnings", w->warnings),
				    text_symbol(SYM_WARNING), w->warnings);
		role = ROLE_WARNING;
	} else {
		summary = xasprintf(_("%s no problems"), text_symbol(SYM_OK));
	}
	sw = text_width(summary);
	text_draw(m->base, ROW_TITLE, 1, _(screens[w->screen]->intro), COLS - sw - 4,
		  theme_attr(ROLE_TITLE), false);
	text_draw(m->base, ROW_TITLE, COLS - sw - 1, summary, sw, theme_attr(role), false);
	add_hotspot(m, ROW_TITLE, COLS - sw - 1, sw, 0, SCREEN_REVIEW);
	free(summary);
}

/* One footer line, and the keys' places for clicks. Keys are two columns
 * apart, or one when that is what makes them fit. */
static void draw_footer_line(struct manager *m, int y, const struct footer *f)
{
	int x = 0, gap = 2, total = 0;

	for (size_t i = 0; i < f->n; i++)
		total += text_width(f->keys[i].name) + 1 + text_width(_(f->keys[i].what)) + 2;
	if (total - 2 > COLS)
		gap = 1;
	for (size_t i = 0; i < f->n; i++) {
		const char *what = _(f->keys[i].what);
		int kw = text_width(f->keys[i].name), ww = text_width(what);

		if (x + kw + 1 + ww > COLS)
			break;
		text_draw(m->base, y, x, f->keys[i].name, kw, theme_attr(ROLE_FOOTER_KEY), false);
		text_draw(m->base, y, x + kw + 1, what, ww, theme_attr(ROLE_FOOTER), false);
		add_hotspot(m, y, x, kw + 1 + ww, f->keys[i].key, -1);
		x += kw + 1 + ww + gap;
	}
}

static void draw_footer(struct manager *m)
{
	const struct screen_ops *ops = screens[m->w.screen];
	struct footer own = { .n = 0 }, global = { .n = 0 };

	if (m->dialog != NULL) {
		footer_add(&own, "Enter", N_("confirm"), UI_KEY_ENTER);
		footer_add(&own, "Esc", N_("cancel"), UI_KEY_ESC);
	} else if (ops->footer != NULL) {
		ops->footer(m->state[m->w.screen], &m->w, &own);
	}
	/* L10N: footer words: keep them short, the footer holds every key in
	 * 80 columns. */
	footer_add(&global, "Tab/S-Tab", N_("field"), UI_KEY_TAB);
	footer_add(&global, "PgDn", N_("next"), KEY_NPAGE);
	footer_add(&global, "PgUp", N_("back"), KEY_PPAGE);
	footer_add(&global, "F1", N_("help"), KEY_F(1));
	footer_add(&global, "F2", N_("export"), KEY_F(2));
	/* The switch names the other language in that language. */
	if (text_utf8())
		footer_add(&global, "F3", chinese() ? "English" : "中文", KEY_F(3));
	footer_add(&global, "F10", N_("quit"), KEY_F(10));
	draw_footer_line(m, LINES - 2, &own);
	draw_footer_line(m, LINES - 1, &global);
}

static void draw_help_line(struct manager *m)
{
	struct wizard *w = &m->w;
	const struct screen_ops *ops = screens[w->screen];
	const struct plan_field *f = NULL;
	const char *path = NULL, *help = NULL;
	int y = LINES - ROWS_BELOW;

	if (w->status != NULL) {
		enum theme_role role = w->status_kind == STATUS_ERROR ? ROLE_ERROR
				       : w->status_kind == STATUS_OK   ? ROLE_OK
								       : ROLE_NORMAL;

		text_draw(m->base, y, 1, w->status, COLS - 2, theme_attr(role), false);
		return;
	}
	if (ops->focused != NULL && ops->focused(m->state[w->screen], w, &f, &path, &help) &&
	    help != NULL)
		text_draw(m->base, y, 1, _(help), COLS - 2, theme_attr(ROLE_HELP), false);
}

static void hide_panels_above_base(struct manager *m)
{
	for (PANEL *p = panel_above(NULL); p != NULL; p = panel_above(p)) {
		if (p != m->base_panel)
			hide_panel(p);
	}
}

static void draw_too_small(struct manager *m)
{
	/* L10N: the terminal's columns and lines, then the least of each. */
	char *text = xasprintf(_("The terminal is %dx%d; k8s-wizard needs at least %dx%d. "
				 "Enlarge it to go on: nothing you typed is lost."),
			       COLS, LINES, UI_MIN_COLS, UI_MIN_LINES);
	char **lines = NULL;
	size_t n = text_wrap(text, COLS > 4 ? COLS - 2 : 2, &lines);

	hide_panels_above_base(m);
	for (size_t i = 0; i < n && (int)i < LINES; i++)
		text_draw(m->base, (LINES - (int)n) / 2 + (int)i, 1, lines[i], COLS - 2,
			  theme_attr(ROLE_WARNING), false);
	text_lines_free(&lines, n);
	free(text);
}

static void draw(struct manager *m)
{
	const struct screen_ops *ops = screens[m->w.screen];
	bool cursor = false;

	werase(m->base);
	m->n_hot = 0;
	if (m->too_small) {
		draw_too_small(m);
		curs_set(0);
		update_panels();
		doupdate();
		return;
	}
	draw_bar(m);
	draw_title(m);
	werase(m->content);
	if (ops->draw != NULL)
		ops->draw(m->state[m->w.screen], &m->w, m->content);
	draw_help_line(m);
	draw_footer(m);
	if (m->dialog != NULL) {
		dialog_draw(m->dialog);
		cursor = dialog_cursor(m->dialog);
	} else if (ops->cursor != NULL) {
		cursor = ops->cursor(m->state[m->w.screen], &m->w);
	}
	curs_set(cursor ? 1 : 0);
	update_panels();
	doupdate();
}

/* The terminal changed size: lay everything out again. */
static void resize(struct manager *m)
{
	m->too_small = LINES < UI_MIN_LINES || COLS < UI_MIN_COLS;
	if (m->content != NULL)
		delwin(m->content);
	wresize(m->base, LINES, COLS);
	replace_panel(m->base_panel, m->base);
	m->content = derwin(m->base, LINES - CONTENT_TOP - ROWS_BELOW, COLS, CONTENT_TOP, 0);
}

/* Input. */

static bool read_event(struct ui_event *ev)
{
	wint_t wch = 0;
	int r = wget_wch(stdscr, &wch);

	memset(ev, 0, sizeof *ev);
	if (r == ERR)
		return false;
	if (r == KEY_CODE_YES && wch == KEY_MOUSE) {
		MEVENT me;

		if (getmouse(&me) != OK)
			return false;
		ev->y = me.y;
		ev->x = me.x;
		if (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) {
			ev->type = EV_CLICK;
		} else if (me.bstate & BUTTON4_PRESSED) {
			ev->type = EV_SCROLL;
			ev->delta = -3;
#ifdef BUTTON5_PRESSED
		} else if (me.bstate & BUTTON5_PRESSED) {
			ev->type = EV_SCROLL;
			ev->delta = 3;
#endif
		} else {
			return false;
		}
		return true;
	}
	if (r == KEY_CODE_YES) {
		ev->type = EV_KEY;
		ev->key = (int)wch;
		return true;
	}
	if (wch == '\r')
		wch = '\n';
	if (wch < 32 || wch == 127) {
		ev->type = EV_KEY;
		ev->key = (int)wch;
	} else {
		ev->type = EV_CHAR;
		ev->ch = (wchar_t)wch;
	}
	return true;
}

/* A click on the bar, the title or the footer becomes a screen or a key. */
static bool translate_click(struct manager *m, struct ui_event *ev)
{
	for (size_t i = 0; i < m->n_hot; i++) {
		const struct hotspot *h = &m->hot[i];

		if (ev->y != h->y || ev->x < h->x || ev->x >= h->x + h->w)
			continue;
		if (h->screen >= 0) {
			go_screen(m, (size_t)h->screen);
			return true;
		}
		if (h->key >= 32 && h->key < 127) {
			ev->type = EV_CHAR;
			ev->ch = (wchar_t)h->key;
		} else {
			ev->type = EV_KEY;
			ev->key = h->key;
		}
		return false;
	}
	return false;
}

static void handle(struct manager *m, struct ui_event *ev)
{
	struct wizard *w = &m->w;
	const struct screen_ops *ops = screens[w->screen];
	int flags = 0;

	xfree(&w->status);
	if (ev->type == EV_KEY && ev->key == KEY_RESIZE) {
		resize(m);
		return;
	}
	if (ev->type == EV_KEY && ev->key == UI_KEY_CTRL('l')) {
		clearok(curscr, TRUE);
		return;
	}
	if (m->too_small)
		return;
	if (m->dialog != NULL) {
		int choice = -1;

		if (dialog_key(m->dialog, ev, &choice)) {
			dialog_done_fn done = m->done;
			void *ctx = m->done_ctx;
			char *text = dialog_input(m->dialog) != NULL ? xstrdup(dialog_input(m->dialog))
								       : NULL;

			dialog_free(&m->dialog);
			m->done = NULL;
			if (done != NULL)
				apply_flags(m, done(w, ctx, choice, text));
			free(text);
		}
		return;
	}
	if (ev->type == EV_CLICK && translate_click(m, ev))
		return;
	if (ev->type == EV_KEY) {
		switch (ev->key) {
		case KEY_F(1):
			show_help(m);
			return;
		case KEY_F(2):
			ask_export(m);
			return;
		case KEY_F(3):
			switch_language(m);
			return;
		case KEY_F(10):
			ask_quit(m);
			return;
		default:
			break;
		}
	}
	if (ops->key != NULL)
		flags = ops->key(m->state[w->screen], w, ev);
	if (!(flags & UI_HANDLED) && ev->type == EV_KEY) {
		if (ev->key == KEY_NPAGE)
			flags |= UI_NEXT;
		else if (ev->key == KEY_PPAGE)
			flags |= UI_BACK;
	}
	apply_flags(m, flags);
}

/* Set up the wizard's state: the plan to open and where it came from. */
static void open_plan(struct wizard *w, const struct plan *plan, const char *plan_file)
{
	struct planstore_list list = { 0 };
	char *err = NULL;

	w->plan_file = plan_file;
	if (planstore_list(&list, &err) < 0)
		xfree(&err);
	w->n_saved = list.n;
	if (plan != NULL) {
		w->plan = plan_dup(plan);
		w->origin = ORIGIN_FILE;
		for (size_t i = 0; i < list.n; i++) {
			if (plan->name != NULL && strcmp(list.v[i].cluster, plan->name) == 0)
				w->saved_cluster = xstrdup(plan->name);
		}
	} else if (list.n > 0) {
		struct problems problems = { 0 };

		w->saved_cluster = xstrdup(list.v[0].cluster);
		w->saved_mtime = list.v[0].mtime;
		w->plan = planfile_load(list.v[0].path, &problems, NULL);
		if (w->plan != NULL) {
			w->origin = ORIGIN_SAVED;
			w->store_active = true;
			w->saved_screen = planstore_get_screen(list.v[0].cluster);
		} else {
			w->origin = ORIGIN_BROKEN;
			w->plan = plan_new_default();
			if (problems.n > 0)
				w->load_error = xasprintf("%s:%u:%u: %s", list.v[0].path,
							  problems.v[0].line, problems.v[0].column,
							  problems.v[0].message);
		}
		problems_clear(&problems);
	} else {
		w->plan = plan_new_default();
		w->origin = ORIGIN_DEFAULT;
	}
	planstore_list_clear(&list);
	w->baseline = planfile_emit(w->plan, NULL);
}

static void close_wizard(struct manager *m)
{
	struct wizard *w = &m->w;

	for (size_t i = 0; i < N_SCREENS; i++) {
		if (screens[i]->free != NULL)
			screens[i]->free(&m->state[i]);
	}
	dialog_free(&m->dialog);
	plan_free(&w->plan);
	problems_clear(&w->problems);
	for (size_t i = 0; i < w->n_touched; i++) {
		free(w->touched[i].cluster);
		free(w->touched[i].before);
	}
	free(w->touched);
	free(w->load_error);
	free(w->saved_cluster);
	free(w->saved_screen);
	free(w->baseline);
	free(w->status);
	free(m->export_path);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the signal interrupts the wait for a key, so the loop
	 * sees it at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int start_curses(struct manager *m)
{
	if (newterm(NULL, stdout, stdin) == NULL)
		return -1;
	curses_active = 1;
	text_init();
	theme_init();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
			  | BUTTON5_PRESSED
#endif
		  ,
		  NULL);
	mouseinterval(0);
	refresh();
	m->base = newwin(LINES, COLS, 0, 0);
	m->base_panel = new_panel(m->base);
	m->content = derwin(m->base, LINES - CONTENT_TOP - ROWS_BELOW, COLS, CONTENT_TOP, 0);
	m->too_small = LINES < UI_MIN_LINES || COLS < UI_MIN_COLS;
	return 0;
}

static void stop_curses(struct manager *m)
{
	if (m->content != NULL)
		delwin(m->content);
	if (m->base_panel != NULL)
		del_panel(m->base_panel);
	if (m->base != NULL)
		delwin(m->base);
	restore_terminal();
}

int ui_run(const struct plan *plan, const char *plan_file)
{
	struct manager m;
	int sig = 0;

	memset(&m, 0, sizeof m);
	open_plan(&m.w, plan, plan_file);
	validate(&m);
	install_signals();
	xmalloc_set_fatal_hook(restore_terminal);
	if (start_curses(&m) < 0) {
		/* L10N: the program's name and the terminal type. */
		fprintf(stderr, _("%s: cannot use this terminal (TERM=%s)\n"), PACKAGE,
			getenv("TERM") != NULL ? getenv("TERM") : "");
		close_wizard(&m);
		return 1;
	}
	for (size_t i = 0; i < N_SCREENS; i++)
		m.state[i] = screens[i]->init != NULL ? screens[i]->init(&m.w) : NULL;
	enter_all(&m);
	while (!m.quit && !got_signal) {
		struct ui_event ev;

		draw(&m);
		if (read_event(&ev) && !got_signal)
			handle(&m, &ev);
	}
	sig = got_signal;
	/* Interrupted: keep what was typed, as after every change. */
	if (sig != 0 && plan_changed(&m))
		autosave(&m);
	close_wizard(&m);
	stop_curses(&m);
	if (m.farewell != NULL) {
		fputs(m.farewell, stderr);
		free(m.farewell);
	}
	if (sig != 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return 0;
}
