/* YAML output through libyaml's emitter into a growable string. One place
 * decides styles (quoting strings that plain would retype), so every file we
 * write reads back as it was meant. */
#include "config.h"

#include "yamlout.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"

static int yamlout_write(void *data, unsigned char *buffer, size_t size)
{
	strbuf_add(data, (const char *)buffer, size);
	return 1;
}

void yamlout_event(struct yamlout *y, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(&y->emitter, ev))
		xalloc_die(y->emitter.problem != NULL ? y->emitter.problem : "yaml emitter");
}

void yamlout_begin(struct yamlout *y, bool secret)
{
	yaml_event_t ev;

	memset(y, 0, sizeof *y);
	y->out.secret = secret;
	if (!yaml_emitter_initialize(&y->emitter))
		xalloc_die("yaml emitter");
	yaml_emitter_set_output(&y->emitter, yamlout_write, &y->out);
	yaml_emitter_set_unicode(&y->emitter, 1);
	yaml_emitter_set_width(&y->emitter, -1);
	yaml_emitter_set_indent(&y->emitter, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	yamlout_event(y, &ev);
}

static void yamlout_end_document(struct yamlout *y)
{
	yaml_event_t ev;

	if (!y->in_document)
		return;
	yaml_document_end_event_initialize(&ev, 1);
	yamlout_event(y, &ev);
	y->in_document = false;
}

void yamlout_document(struct yamlout *y, bool implicit)
{
	yaml_event_t ev;

	yamlout_end_document(y);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, implicit);
	yamlout_event(y, &ev);
	y->in_document = true;
}

bool yamlout_looks_typed(const char *s)
{
	static const char *const words[] = { "~", "null", "true", "false", "yes", "no", "on",
					     "off", "y", "n", NULL };
	char *end = NULL;

	if (*s == '\0')
		return true;
	for (size_t i = 0; words[i] != NULL; i++) {
		if (strcasecmp(s, words[i]) == 0)
			return true;
	}
	(void)strtod(s, &end);
	return *end == '\0';
}

void yamlout_scalar(struct yamlout *y, const char *s, enum yamlout_style style)
{
	yaml_event_t ev;
	bool quote = style == YAMLOUT_QUOTED || (style == YAMLOUT_STRING && yamlout_looks_typed(s));

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
				     quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
	yamlout_event(y, &ev);
}

void yamlout_pair(struct yamlout *y, const char *key, const char *value)
{
	yamlout_scalar(y, key, YAMLOUT_PLAIN);
	yamlout_scalar(y, value, YAMLOUT_STRING);
}

void yamlout_mapping(struct yamlout *y, bool flow)
{
	yaml_event_t ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
					    flow ? YAML_FLOW_MAPPING_STYLE
						 : YAML_BLOCK_MAPPING_STYLE);
	yamlout_event(y, &ev);
}

void yamlout_sequence(struct yamlout *y, bool flow)
{
	yaml_event_t ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
					     flow ? YAML_FLOW_SEQUENCE_STYLE
						  : YAML_BLOCK_SEQUENCE_STYLE);
	yamlout_event(y, &ev);
}

void yamlout_close(struct yamlout *y, bool mapping)
{
	yaml_event_t ev;

	if (mapping)
		yaml_mapping_end_event_initialize(&ev);
	else
		yaml_sequence_end_event_initialize(&ev);
	yamlout_event(y, &ev);
}

char *yamlout_end(struct yamlout *y, size_t *len)
{
	yaml_event_t ev;

	yamlout_end_document(y);
	yaml_stream_end_event_initialize(&ev);
	yamlout_event(y, &ev);
	yaml_emitter_flush(&y->emitter);
	yaml_emitter_delete(&y->emitter);
	return strbuf_detach(&y->out, len);
}
