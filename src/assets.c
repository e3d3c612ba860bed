/* Lookup of the files built into the program (assets.h); the table itself is
 * generated from assets/ at build time (build-aux/embed-assets.sh). */
#include <stdlib.h>
#include <string.h>

#include "assets_int.h"

static int compare_name(const void *key, const void *entry)
{
	return strcmp(key, ((const struct assets_file *)entry)->name);
}

const struct assets_file *assets_find(const char *name)
{
	return bsearch(name, assets_files, assets_n_files, sizeof assets_files[0], compare_name);
}

const struct assets_file *assets_at(size_t i)
{
	return i < assets_n_files ? &assets_files[i] : NULL;
}
