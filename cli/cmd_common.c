/* What several commands share: loading a plan file and validating it, with
 * every problem printed the way compilers print them. */
#include "config.h"

#include "cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "nls.h"
#include "plan.h"
#include "plancheck.h"
#include "planfile.h"
#include "problem.h"
#include "xmalloc.h"

/* Print problems in the compiler style editors understand. */
static void print_problems(const char *file, struct problems *list)
{
	problems_sort(list);
	for (size_t i = 0; i < list->n; i++) {
		const struct problem *p = &list->v[i];
		const char *sev = p->severity == PROBLEM_WARNING ? _("warning: ") : "";

		if (p->line > 0)
			fprintf(stderr, "%s:%u:%u: %s: %s%s\n", file, p->line, p->column, p->path,
				sev, p->message);
		else
			fprintf(stderr, "%s: %s: %s%s\n", file, p->path, sev, p->message);
	}
}

struct plan *cmd_load_plan(const char *file, bool *had_warnings)
{
	struct problems loader = { 0 }, all = { 0 };
	struct plan *partial = NULL;
	struct plan *plan = planfile_load(file, &loader, &partial);
	struct plan *checked = plan != NULL ? plan : partial;

	*had_warnings = false;
	for (size_t i = 0; i < loader.n; i++)
		problems_add_at(&all, loader.v[i].severity, loader.v[i].path, loader.v[i].line,
				loader.v[i].column, "%s", loader.v[i].message);
	if (checked != NULL) {
		struct problems v = { 0 };

		plancheck_run(checked, &v);
		for (size_t i = 0; i < v.n; i++) {
			if (problems_find_related(&loader, v.v[i].path) != NULL)
				continue;
			problems_add_at(&all, v.v[i].severity, v.v[i].path, v.v[i].line,
					v.v[i].column, "%s", v.v[i].message);
		}
		problems_clear(&v);
	}
	print_problems(file, &all);
	*had_warnings = problems_count(&all, PROBLEM_WARNING) > 0;
	if (problems_count(&all, PROBLEM_ERROR) > 0)
		plan_free(&plan);
	plan_free(&partial);
	problems_clear(&loader);
	problems_clear(&all);
	return plan;
}

size_t cmd_text_width(const char *s)
{
	size_t n = mbstowcs(NULL, s, 0);
	wchar_t *w = NULL;
	int width = -1;

	if (n == (size_t)-1)
		return strlen(s);
	w = xcalloc(n + 1, sizeof *w);
	mbstowcs(w, s, n + 1);
	width = wcswidth(w, n);
	free(w);
	return width < 0 ? strlen(s) : (size_t)width;
}

int cmd_option_error(const struct cmd_entry *e, bool missing_value, const char *opt)
{
	if (missing_value)
		return cmd_bad_usage(e, _("option %s needs a value"), opt);
	return cmd_bad_usage(e, _("unknown option %s"), opt);
}
