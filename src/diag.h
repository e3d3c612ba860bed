/* Diagnostics of a failure: what the host says about the unit and the
 * containers a failed phase involves (systemctl status, the journal, crictl),
 * gathered without hanging on a host that no longer answers, saved to a file
 * on the jump host, with one sentence on where to look first. */
#ifndef K8SW_DIAG_H
#define K8SW_DIAG_H

#include "phase.h"
#include "transport.h"

/* Collect what concerns phase from the host behind h (what: the failed step
 * or check; last_lines: what it printed last, or NULL) into path (0600,
 * replaced). *hint gets the sentence. Returns 0, or -1 with *err set when the
 * file cannot be written; a host that stops answering only shortens the
 * file. */
int diag_collect(const struct transport_ops *ops, void *h, enum phase phase, const char *what,
		 const char *last_lines, const char *path, char **hint, char **err);

/* The commands collected for phase, one per line (for tests and docs). */
const char *const *diag_commands(enum phase phase, const char **hint);

#endif
