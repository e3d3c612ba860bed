/* The keys that work on every screen, each a small flow of dialogs: F1
 * shows what the focused field is for, F2 exports the plan to a YAML file
 * (asking before it replaces one), F3 switches between English and Chinese
 * keeping everything typed, and F10 quits, saving or discarding what
 * changed (a screen with work under way, the Run page, takes F10 first). */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/homedir.h"
#include "../src/nls.h"
#include "../src/planfile.h"
#include "../src/planstore.h"
#include "../src/xmalloc.h"
#include "manager.h"
#include "text.h"

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
void fkeys_help(struct manager *m)
{
	const struct screen_ops *ops = manager_screens[m->w.screen];
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
	struct stat st;
	size_t start = strspn(text != NULL ? text : "", " \t");
	char *path = NULL, *err = NULL;

	if (choice < 0 || text == NULL || text[start] == '\0') {
		wizard_status(w, STATUS_INFO, "%s", _("Export cancelled."));
		return UI_REDRAW;
	}
	/* ~/ means the home directory, as in a shell. */
	path = homedir_expand(text + start, &err);
	if (path == NULL) {
		wizard_message(w, _("Export failed"), err);
		free(err);
		return UI_REDRAW;
	}
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

void fkeys_export(struct manager *m)
{
	char *initial = NULL, *text = NULL;

	if (!manager_commit_screen(m))
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
		if (manager_autosave(m) < 0) {
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

void fkeys_quit(struct manager *m)
{
	static const char *items[3];
	char *text = NULL;

	/* A run under way is stopped first, not left behind. */
	for (size_t i = 0; i < N_SCREENS; i++) {
		if (manager_screens[i]->quit != NULL &&
		    manager_screens[i]->quit(m->state[i], &m->w))
			return;
	}
	/* A value that cannot be stored is left as it was; quitting still
	 * works. */
	manager_commit_screen(m);
	if (!manager_plan_changed(m)) {
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

/* L10N: a message that must be translated: it tells whether the
 * Chinese catalog was found. Translate it as "语言：中文". */
static const char *const language_probe = N_("Language: English");

/* The locale the environment asks for, by setlocale()'s order for messages. */
static const char *locale_asked(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && *v != '\0')
			return v;
	}
	return NULL;
}

static bool locale_is_c(const char *name)
{
	return name == NULL || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0;
}

/* The environment names a locale that setlocale() could not load (not
 * generated on this system): the program runs in the C locale, in English
 * and without UTF-8. */
static bool locale_missing(void)
{
	return !locale_is_c(locale_asked()) && locale_is_c(setlocale(LC_MESSAGES, NULL));
}

/* Whether the messages are asked for in Chinese: by LANGUAGE, which F3 sets,
 * else by the locale. gettext ignores LANGUAGE in the C locale. */
static bool chinese_asked(void)
{
	const char *messages = setlocale(LC_MESSAGES, NULL);
	const char *language = getenv("LANGUAGE");

	if (locale_is_c(messages))
		return false;
	if (language != NULL && *language != '\0')
		return strncmp(language, "zh", 2) == 0;
	return strncmp(messages, "zh", 2) == 0;
}

bool fkeys_chinese(void)
{
	/* Asked for is not enough: without the catalog the words stay English. */
	return chinese_asked() && strcmp(_(language_probe), language_probe) != 0;
}

/* Why F3 cannot switch to Chinese, in a dialog: the locale or the catalog. */
static void no_chinese(struct manager *m, bool locale)
{
	char *text = NULL;

	if (locale)
		/* L10N: %s is a locale name, e.g. zh_CN.UTF-8; keep the commands
		 * as they are. */
		text = xasprintf(_("The locale %s is not installed on this system, so k8s-wizard "
				   "runs in English without UTF-8 and cannot show Chinese.\n\n"
				   "Generate the locale, as root:\n"
				   "  localedef -i zh_CN -f UTF-8 zh_CN.UTF-8\n"
				   "(or dpkg-reconfigure locales; sh contrib/dev.sh run does it), "
				   "then start k8s-wizard again with LANG=zh_CN.UTF-8."),
				 locale_asked());
	else
		/* L10N: %s is a directory; keep the file names and commands as
		 * they are. */
		text = xasprintf(_("No Chinese translation found: k8s-wizard looked for "
				   "%s/zh_CN/LC_MESSAGES/k8s-wizard.mo.\n\n"
				   "Install k8s-wizard (make install installs the translations), "
				   "start it the README's way (sh contrib/dev.sh run), or set "
				   "K8SW_LOCALEDIR to a directory holding "
				   "zh_CN/LC_MESSAGES/k8s-wizard.mo."),
				 bindtextdomain(PACKAGE, NULL));
	wizard_message(&m->w, _("No Chinese"), text);
	free(text);
}

void fkeys_language_notice(struct manager *m)
{
	const char *asked = locale_asked();
	const char *language = getenv("LANGUAGE");
	bool want = (asked != NULL && strncmp(asked, "zh", 2) == 0) ||
		    (language != NULL && strncmp(language, "zh", 2) == 0);

	if (want && !fkeys_chinese())
		wizard_status(&m->w, STATUS_ERROR, "%s",
			      _("Chinese is not available here: press F3 to see why."));
}

void fkeys_language(struct manager *m)
{
	bool to_chinese = !fkeys_chinese();
	const char *old = getenv("LANGUAGE");
	char *saved = old != NULL ? xstrdup(old) : NULL;

	if (to_chinese && locale_missing()) {
		no_chinese(m, true);
		goto out;
	}
	if (to_chinese && !text_utf8()) {
		wizard_status(&m->w, STATUS_ERROR, "%s",
			      _("Chinese needs a UTF-8 terminal: start k8s-wizard with "
				"LANG=zh_CN.UTF-8 or C.UTF-8."));
		goto out;
	}
	setenv("LANGUAGE", to_chinese ? "zh_CN" : "en", 1);
	/* Setting the locale again makes gettext forget its cached
	 * translations. */
	setlocale(LC_MESSAGES, "");
	if (to_chinese && !fkeys_chinese()) {
		if (saved != NULL)
			setenv("LANGUAGE", saved, 1);
		else
			unsetenv("LANGUAGE");
		setlocale(LC_MESSAGES, "");
		no_chinese(m, false);
		goto out;
	}
	m->w.generation++;
	manager_validate(m);
	manager_enter_all(m);
out:
	free(saved);
}
