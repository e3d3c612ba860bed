/* A growable list of problems, shared by the loader, the validator and every
 * front end that shows them. */
#include "config.h"

#include "problem.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void problems_addv(struct problems *list, enum problem_severity sev, const char *path,
			  unsigned line, unsigned column, const char *fmt, va_list ap)
{
	struct problem *p = NULL;

	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 8;
		list->v = xreallocarray(list->v, list->cap, sizeof *list->v);
	}
	p = &list->v[list->n++];
	p->severity = sev;
	p->path = xstrdup(path);
	p->message = xvasprintf(fmt, ap);
	p->line = line;
	p->column = column;
}

void problems_add(struct problems *list, enum problem_severity sev, const char *path,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	problems_addv(list, sev, path, 0, 0, fmt, ap);
	va_end(ap);
}

void problems_add_at(struct problems *list, enum problem_severity sev, const char *path,
		     unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	problems_addv(list, sev, path, line, column, fmt, ap);
	va_end(ap);
}

size_t problems_count(const struct problems *list, enum problem_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < list->n; i++)
		n += list->v[i].severity == sev;
	return n;
}

/* True when path equals prefix or continues it with '.' or '['. */
static bool path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	       (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

bool problems_match(const struct problem *pr, const char *path, bool exact)
{
	return exact ? strcmp(pr->path, path) == 0 : path_under(pr->path, path);
}

const struct problem *problems_find(const struct problems *list, const char *path)
{
	for (size_t i = 0; i < list->n; i++) {
		if (path_under(list->v[i].path, path))
			return &list->v[i];
	}
	return NULL;
}

const struct problem *problems_find_related(const struct problems *list, const char *path)
{
	for (size_t i = 0; i < list->n; i++) {
		if (path_under(list->v[i].path, path) || path_under(path, list->v[i].path))
			return &list->v[i];
	}
	return NULL;
}

void problems_sort(struct problems *list)
{
	/* Insertion sort: stable, and lists are short. */
	for (size_t i = 1; i < list->n; i++) {
		struct problem key = list->v[i];
		size_t j = i;

		while (j > 0) {
			const struct problem *q = &list->v[j - 1];

			if (q->line < key.line || (q->line == key.line && q->column <= key.column))
				break;
			list->v[j] = list->v[j - 1];
			j--;
		}
		list->v[j] = key;
	}
}

void problems_clear(struct problems *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->v[i].path);
		free(list->v[i].message);
	}
	free(list->v);
	list->v = NULL;
	list->n = list->cap = 0;
}
