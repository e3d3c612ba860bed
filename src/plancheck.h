/* Validation of a plan before any host is contacted: every value against its
 * grammar and range, then the rules that relate fields (CIDRs that must not
 * overlap, the DNS address inside the service range, an odd etcd count...).
 * The wizard runs the same function on every edit and shows the problems whose
 * path matches the focused field. */
#ifndef K8SW_PLANCHECK_H
#define K8SW_PLANCHECK_H

#include "plan.h"
#include "problem.h"

/* Append every problem of p to out (errors and warnings, messages translated
 * in the current locale) and give each the position p's marks record for its
 * path. Returns the number of errors found. */
size_t plancheck_run(const struct plan *p, struct problems *out);

#endif
