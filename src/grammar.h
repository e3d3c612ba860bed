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

/* Where containerd is to find the registry API of a mirror endpoint (a
 * GR_MIRROR URL), as the key of its [host."..."] table in hosts.toml:
 * - no path ("https://mirror.example.com", with or without a port or a final
 *   '/'): "SCHEME://HOST[:PORT]", *override_path false (containerd adds /v2);
 * - a path with a "v2" segment ("https://m.example.com/v2/docker.io",
 *   "https://m.example.com/docker.io/v2"): the path is the API root as
 *   written, final '/'s dropped;
 * - any other path ("https://m.example.com/docker.io"): the registry is at that
 *   path, its API root is PATH/v2.
 * With a path *override_path is true: containerd then uses the key's path
 * as the API root instead of applying its own rule. Returns a new string
 * (caller frees), or NULL when url is not a GR_MIRROR. */
char *grammar_mirror_root(const char *url, bool *override_path);

#endif
