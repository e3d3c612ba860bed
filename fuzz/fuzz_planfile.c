/* libFuzzer target for the plan loader: any input must be loaded or refused
 * without a crash or a leak, and a loaded plan must validate and survive the
 * round trip export(load(export(p))) == export(p). The build lowers
 * PLANFILE_MAX_VALUES (fuzz/Makemodule.am) so that inputs of a few kilobytes
 * cross the size limit as well as the depth limit. The input's first line also
 * goes to the regex recogniser (providerRegex), which must refuse with a reason
 * or accept within its bounds. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plancheck.h"
#include "planfile.h"
#include "problem.h"
#include "resyntax.h"

/* The regex recogniser on the input's first line, as a string. */
static void fuzz_regex(const uint8_t *data, size_t size)
{
	char re[RESYNTAX_MAX_LEN + 2];
	size_t n = 0;
	const char *why = NULL;

	while (n < size && n < sizeof re - 1 && data[n] != '\n' && data[n] != '\0') {
		re[n] = (char)data[n];
		n++;
	}
	re[n] = '\0';
	if (resyntax_check(re, &why)) {
		if (n == 0 || n > RESYNTAX_MAX_LEN)
			abort(); /* accepted out of bounds */
	} else if (why == NULL) {
		abort(); /* refused without a reason */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct problems problems = { 0 };
	struct plan *partial = NULL;
	struct plan *plan = planfile_parse((const char *)data, size, &problems, &partial);
	struct plan *again = NULL;
	char *first = NULL, *second = NULL;
	size_t len1 = 0, len2 = 0;

	if (partial != NULL)
		plancheck_run(partial, &problems);
	fuzz_regex(data, size);
	if (plan != NULL) {
		plancheck_run(plan, &problems);
		first = planfile_emit(plan, &len1);
		again = planfile_parse(first, len1, &problems, NULL);
		if (again == NULL)
			abort(); /* an exported plan must load */
		second = planfile_emit(again, &len2);
		if (len1 != len2 || memcmp(first, second, len1) != 0)
			abort(); /* and export the same bytes */
	}
	problems_sort(&problems);
	free(first);
	free(second);
	plan_free(&again);
	plan_free(&plan);
	plan_free(&partial);
	problems_clear(&problems);
	return 0;
}
