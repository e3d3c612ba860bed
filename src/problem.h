/* Problems found in a plan: a severity, the field path they concern
 * ("network.clusterDNS", "hosts[2].name"), a translated message and, when the
 * plan came from a file, the line and column of that field. */
#ifndef K8SW_PROBLEM_H
#define K8SW_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>

enum problem_severity { PROBLEM_ERROR, PROBLEM_WARNING };

struct problem {
	enum problem_severity severity;
	char *path;
	char *message;
	unsigned line;   /* 1-based; 0 when unknown */
	unsigned column; /* 1-based; 0 when unknown */
};

struct problems {
	struct problem *v;
	size_t n;
	size_t cap;
};

/* Append a problem; path and the formatted message are copied. */
void problems_add(struct problems *list, enum problem_severity sev, const char *path,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Append a problem with a known position. */
void problems_add_at(struct problems *list, enum problem_severity sev, const char *path,
		     unsigned line, unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

size_t problems_count(const struct problems *list, enum problem_severity sev);

/* True when pr concerns path or a field below it ("hosts[1]" matches a
 * problem at "hosts[1].address"); with exact, only path itself. */
bool problems_match(const struct problem *pr, const char *path, bool exact);

/* The first problem whose path is path or lies below it, or NULL. */
const struct problem *problems_find(const struct problems *list, const char *path);

/* The first problem at path, above it ("network" for "network.podCIDR") or
 * below it, or NULL. */
const struct problem *problems_find_related(const struct problems *list, const char *path);

/* Sort by line and column, keeping the order of equal entries (unknown
 * positions, 0:0, come first). */
void problems_sort(struct problems *list);

/* Free every entry; the list can be reused. */
void problems_clear(struct problems *list);

#endif
