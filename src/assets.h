/* The files of assets/ (the templates of what is placed on hosts) built into
 * the program, so that a binary copied alone works. They are found by their
 * path under assets/, e.g. "templates/crictl.yaml". template_read() is the
 * usual way in; it also honours the K8SW_ASSETS_DIR developer override. */
#ifndef K8SW_ASSETS_H
#define K8SW_ASSETS_H

#include <stddef.h>

struct assets_file {
	const char *name;          /* path under assets/ */
	const unsigned char *data; /* size bytes, then a NUL */
	size_t size;
};

/* The built-in file called name, or NULL when there is none. The result is
 * static: never freed, valid for the life of the program. */
const struct assets_file *assets_find(const char *name);

/* The i-th built-in file in name order (0-based), NULL past the last: to
 * list them. */
const struct assets_file *assets_at(size_t i);

#endif
