/* Strict grammars for every plan value that reaches a shell command or a file
 * on a host. A value that passes contains nothing a shell or a YAML, TOML or
 * systemd file would interpret (no spaces, quotes, ';', '$', '`', newlines),
 * except where the grammar says so (GR_REGEX goes only into YAML through the
 * emitter; GR_SUBJECT only into X.509 names). */
#ifndef K8SW_GRAMMAR_H
#define K8SW_GRAMMAR_H

#include <stdbool.h>

#include "plan.h"

/* True when s matches g. Otherwise *why (if not NULL) gets a translated
 * sentence saying what is valid, a static string. */
bool grammar_check(enum plan_grammar g, const char *s, const char **why);

/* Parts of a bastion "[user@]host[:port]". Returns 0, or -1 when malformed. */
struct bastion {
	char user[33];
	char host[254];
	unsigned port; /* 0 when absent */
};
int grammar_parse_bastion(const char *s, struct bastion *out);

/* The ports of a range "LOW-HIGH" (GR_PORTRANGE). Returns 0, or -1 when s does
 * not match the grammar. */
int grammar_parse_port_range(const char *s, unsigned *low, unsigned *high);

#endif
