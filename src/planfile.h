/* Reading and writing plans as YAML (apiVersion k8s-wizard/v1, kind
 * ClusterPlan) with libyaml's parser and emitter.
 *
 * The loader starts from the defaults and overrides what the file sets; a
 * missing section keeps its defaults, a present list replaces the default
 * list. Unknown keys, duplicate keys, wrong types, aliases and a wrong
 * apiVersion or kind are problems, each with the file's line and column. The
 * exporter writes every field in schema order, so export(load(export(p))) is
 * byte-identical to export(p). */
#ifndef K8SW_PLANFILE_H
#define K8SW_PLANFILE_H

#include <stddef.h>

#include "plan.h"
#include "problem.h"

/* Limits on a plan's text, checked before a document tree is built: nesting
 * of lists and mappings, and values (scalars, lists and mappings) in all. A
 * plan nests 4 deep; a host takes about 10 values. The fuzzer builds with a
 * lower PLANFILE_MAX_VALUES so that its small inputs reach that limit too. */
#define PLANFILE_MAX_DEPTH 32
#ifndef PLANFILE_MAX_VALUES
#define PLANFILE_MAX_VALUES 250000
#endif

/* Parse YAML text. Returns the plan (with source marks) when the text had no
 * error, NULL otherwise; every problem found is appended to problems. On error,
 * when partial is not NULL, *partial receives what could be read (fields in
 * error keep their defaults) for callers that validate the rest; it is NULL
 * when the plan is returned, and when the text was not a YAML mapping at all
 * (nothing to validate). */
struct plan *planfile_parse(const char *text, size_t len, struct problems *problems,
			    struct plan **partial);

/* Read and parse a file; an unreadable file is one problem with path "file".
 * A symbolic link is followed; a FIFO or a device is refused, not waited on. */
struct plan *planfile_load(const char *filename, struct problems *problems,
			   struct plan **partial);

/* The plan as YAML text, NUL-terminated; *len (if not NULL) gets its length. */
char *planfile_emit(const struct plan *p, size_t *len);

/* Write the plan to filename atomically (a temporary file in the same
 * directory, fsync, rename). When filename is a symbolic link, the file it
 * points to is replaced and the link is kept. Returns 0, or -1 with *err set
 * (free it). */
int planfile_save(const struct plan *p, const char *filename, char **err);

#endif
