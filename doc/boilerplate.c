/* Boilerplate for a new module: copy to src/NAME.c (and a header), replace
 * NAME, and say in these first lines what the module is for. */
#include "config.h"

#include "NAME.h"

#include <stdlib.h>

#include "nls.h"
#include "xmalloc.h"

struct NAME {
	char *label;
};

/* Create a NAME. Never NULL. */
struct NAME *NAME_new(const char *label)
{
	struct NAME *n = xcalloc(1, sizeof *n);

	n->label = xstrdup(label);
	return n;
}

/* Do the work. Returns 0, or -1 with *err set (free it). */
int NAME_run(struct NAME *n, char **err)
{
	*err = NULL;
	if (n->label[0] == '\0') {
		*err = xstrdup(_("the label is empty"));
		return -1;
	}
	return 0;
}

void NAME_free(struct NAME **np)
{
	struct NAME *n = *np;

	if (n == NULL)
		return;
	free(n->label);
	free(n);
	*np = NULL;
}
