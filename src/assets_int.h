/* The table of files built into the program, written at build time by
 * build-aux/embed-assets.sh (assets_data.c in the build tree). Only
 * src/assets.c and the generated file include it; others use assets.h. */
#ifndef K8SW_ASSETS_INT_H
#define K8SW_ASSETS_INT_H

#include "assets.h"

/* Sorted by name (bytewise), for a binary search. */
extern const struct assets_file assets_files[];
extern const size_t assets_n_files;

#endif
