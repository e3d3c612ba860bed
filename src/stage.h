/* What every command that installs or renders does first: the cluster's state
 * directory, its PKI (created or reused), and the render of the plan. */
#ifndef K8SW_STAGE_H
#define K8SW_STAGE_H

#include "certs.h"
#include "plan.h"
#include "render.h"
#include "statelock.h"

struct stage {
	char *state_dir; /* $XDG_STATE_HOME/k8s-wizard/NAME, created 0700 */
	char *pki_dir;   /* state_dir/pki */
	struct statelock *lock; /* held from before the PKI is touched */
	struct certs *certs;
	struct render *render;
};

/* Prepare p (validated), loaded from plan_file (relative bundle paths start
 * at its directory), for command ("apply", "render"): the state directory's
 * lock is taken before anything in it is written, and held until
 * stage_clear(). Returns 0; 1 with *err naming the holder when another
 * process holds the lock; -2 with *err set when the input is at fault (the
 * bundle); -1 with *err set otherwise (a file cannot be written).
 * stage_clear() in every case. */
int stage_prepare(const struct plan *p, const char *plan_file, const char *command,
		  struct stage *s, char **err);
/* Its first part alone, for a caller that brings its own render: the state
 * directory and its lock (certs and render stay NULL). Returns 0, 1 or -1 as
 * stage_prepare(); stage_clear() in every case. */
int stage_lock(const struct plan *p, const char *command, struct stage *s, char **err);
void stage_clear(struct stage *s);

#endif
