/* Editing a plan one field at a time, as text: the value of a field as the
 * operator sees and types it, and the way back into the plan.
 *
 * Nothing here judges a value: plancheck_run() does, so that the wizard and
 * `plan check` always agree. The only text refused is text the field's type
 * cannot hold at all (a port that is not a number, an unknown mode); the
 * caller shows that message where it would show a validation problem. */
#ifndef K8SW_PLANEDIT_H
#define K8SW_PLANEDIT_H

#include <stddef.h>

#include "plan.h"

/* The value field at path and the struct that holds it: "network.podCIDR",
 * "hosts[2].address", "addons.csrApprover.providerIPPrefixes". Returns the
 * base to pass to planedit_get()/planedit_set() with *field set, or NULL when
 * path names no value (a section, the mirror map, a host index out of
 * range). */
void *planedit_resolve(struct plan *p, const char *path, const struct plan_field **field);

/* The value as text, a new string: strings as they are ("" for none),
 * numbers in decimal, booleans "true" or "false", enums by name, lists joined
 * with ", ", roles joined with " ". */
char *planedit_get(const void *base, const struct plan_field *f);

/* Store text (surrounding blanks ignored) in the field. Empty text stores the
 * field's default for numbers, booleans and enums, nothing for strings and
 * lists. Lists and roles are split at commas and blanks. Returns 0, or -1
 * with *err set (translated; free it) and the value unchanged when the text
 * cannot be stored in the field's type. */
int planedit_set(void *base, const struct plan_field *f, const char *text, char **err);

/* Insert after host i a copy of it with the next free name and address:
 * node2 at 10.1.1.5 gives node3 at 10.1.1.6 (names or addresses already in
 * the plan are skipped). A name without a number gets one ("edge" gives
 * "edge2"); an address that does not parse is left empty. Returns the new
 * host's index, i + 1. i must be a valid index. */
size_t planedit_duplicate_host(struct plan *p, size_t i);

#endif
