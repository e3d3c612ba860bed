/* YAML output: libyaml's emitter writing into memory, with the few event
 * helpers the plan exporter, the kubeconfigs and the manifest patcher share.
 *
 * Call order: yamlout_begin(), then for each document yamlout_document() and
 * the content's events, then yamlout_end() for the text. Emitter failures can
 * only be out-of-memory or a programming error; both are fatal. */
#ifndef K8SW_YAMLOUT_H
#define K8SW_YAMLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "strbuf.h"

struct yamlout {
	yaml_emitter_t emitter;
	struct strbuf out;
	bool in_document;
};

/* Start a stream. secret: the text will hold key material, so memory the
 * buffer leaves behind when it grows is wiped. */
void yamlout_begin(struct yamlout *y, bool secret);

/* Start a document (ending the previous one): implicit leaves out "---". */
void yamlout_document(struct yamlout *y, bool implicit);

/* Emit one event the caller built (the manifest patcher copies trees). */
void yamlout_event(struct yamlout *y, yaml_event_t *ev);

enum yamlout_style {
	YAMLOUT_PLAIN,  /* as the emitter sees fit: plain when it can */
	YAMLOUT_STRING, /* a string: quoted when plain text would read back as a
			 * null, boolean or number ("true", "123", "") */
	YAMLOUT_QUOTED, /* always double-quoted */
};

void yamlout_scalar(struct yamlout *y, const char *s, enum yamlout_style style);
/* key: value, both strings (YAMLOUT_PLAIN key, YAMLOUT_STRING value). */
void yamlout_pair(struct yamlout *y, const char *key, const char *value);
void yamlout_mapping(struct yamlout *y, bool flow);
void yamlout_sequence(struct yamlout *y, bool flow);
void yamlout_close(struct yamlout *y, bool mapping);

/* End the stream; the text, NUL-terminated (free it; *len gets its length). */
char *yamlout_end(struct yamlout *y, size_t *len);

/* Would s, written plain, read back as something other than a string? */
bool yamlout_looks_typed(const char *s);

#endif
