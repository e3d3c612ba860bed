/* The state directory, the PKI and the render of a plan, in that order. */
#include "config.h"

#include "stage.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "statedir.h"
#include "xmalloc.h"

int stage_lock(const struct plan *p, const char *command, struct stage *s, char **err)
{
	memset(s, 0, sizeof *s);
	s->state_dir = statedir_path(p->name, err);
	if (s->state_dir == NULL || statedir_create(s->state_dir, err) < 0)
		return -1;
	return statelock_take(s->state_dir, command, &s->lock, err);
}

int stage_prepare(const struct plan *p, const char *plan_file, const char *command,
		  struct stage *s, char **err)
{
	struct render_options ro = { 0 };
	char *copy = NULL;
	int rc = stage_lock(p, command, s, err);

	if (rc != 0)
		return rc;
	s->pki_dir = xasprintf("%s/pki", s->state_dir);
	if (certs_ensure(p, s->pki_dir, &s->certs, err) < 0)
		return -1;
	copy = xstrdup(plan_file != NULL ? plan_file : ".");
	ro.base_dir = plan_file != NULL ? dirname(copy) : ".";
	rc = render_build(p, s->certs, &ro, &s->render, err);
	free(copy);
	return rc;
}

void stage_clear(struct stage *s)
{
	free(s->state_dir);
	free(s->pki_dir);
	certs_free(&s->certs);
	render_free(&s->render);
	statelock_release(&s->lock);
	memset(s, 0, sizeof *s);
}
