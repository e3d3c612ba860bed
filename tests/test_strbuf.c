/* The growable string. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

static void test_strbuf(void **state)
{
	struct strbuf b = { 0 };
	char *s = NULL;
	size_t len = 0;

	(void)state;
	s = strbuf_detach(&b, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	for (int i = 0; i < 100; i++)
		strbuf_addf(&b, "%d,", i % 10);
	strbuf_addc(&b, '!');
	strbuf_add(&b, "xyz", 2);
	assert_int_equal(b.len, 203);
	s = strbuf_detach(&b, &len);
	assert_int_equal(len, 203);
	assert_string_equal(s + 196, "8,9,!xy");
	assert_null(b.s);
	free(s);
	strbuf_adds(&b, "gone");
	strbuf_clear(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
