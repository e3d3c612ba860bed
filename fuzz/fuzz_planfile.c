/* libFuzzer target for the plan loader: any input must be loaded or refused
 * without a crash or a leak, and a loaded plan must validate and survive the
 * round trip export(load(export(p))) == export(p). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plancheck.h"
#include "planfile.h"
#include "problem.h"

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
