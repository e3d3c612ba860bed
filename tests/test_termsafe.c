/* Escaping for the terminal: every control character, C1 code point,
 * reordering character and invalid UTF-8 byte becomes a visible escape;
 * printable ASCII and UTF-8 (Chinese) come out unchanged. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "termsafe.h"

/* Escape s with flags and compare with want. */
static void check(const char *s, unsigned flags, const char *want)
{
	char *got = termsafe_dup(s, flags);

	assert_string_equal(got, want);
	free(got);
}

static void test_null_and_empty(void **state)
{
	(void)state;
	check(NULL, TERMSAFE_ALL, "");
	check("", TERMSAFE_ALL, "");
}

static void test_printable_kept(void **state)
{
	(void)state;
	check("host-1 10.1.1.1:6443 ~/.ssh/id_ed25519 \\x1b", TERMSAFE_ALL,
	      "host-1 10.1.1.1:6443 ~/.ssh/id_ed25519 \\x1b");
	/* Chinese, an accented letter, an emoji (4 bytes): kept. */
	check("集群 主机名 café 🙂", TERMSAFE_ALL, "集群 主机名 café 🙂");
}

static void test_c0_and_del(void **state)
{
	(void)state;
	/* A fake line, a cursor move, a colour, OSC 52 to the clipboard. */
	check("a\r\nk8s-wizard: the plan is valid", TERMSAFE_ALL,
	      "a\\x0d\\x0ak8s-wizard: the plan is valid");
	check("\x1b[2A\x1b[31mred", TERMSAFE_ALL, "\\x1b[2A\\x1b[31mred");
	check("\x1b]52;c;cm0gLXJmIH4=\x07", TERMSAFE_ALL, "\\x1b]52;c;cm0gLXJmIH4=\\x07");
	check("\x01\x08\x7f\x1f", TERMSAFE_ALL, "\\x01\\x08\\x7f\\x1f");
	check("a\tb\nc", TERMSAFE_ALL, "a\\x09b\\x0ac");
}

static void test_keep_lines(void **state)
{
	(void)state;
	check("a\tb\nc\r\x1b[K", TERMSAFE_KEEP_LINES, "a\tb\nc\\x0d\\x1b[K");
}

static void test_c1_and_bidi(void **state)
{
	(void)state;
	/* U+009B is CSI on terminals that take C1 from UTF-8. */
	check("\xc2\x9b" "2J \xc2\x80 \xc2\x9f \xc2\xa0", TERMSAFE_ALL,
	      "\\u009b2J \\u0080 \\u009f \xc2\xa0");
	/* RIGHT-TO-LEFT OVERRIDE and a first-strong isolate. */
	check("a\xe2\x80\xae" "cba\xe2\x81\xa8", TERMSAFE_ALL, "a\\u202ecba\\u2068");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* A raw C1 byte, a lone continuation, a truncated sequence, an
	 * overlong '/' (2, 3 and 4 bytes), a surrogate, a code point above U+10FFFF. */
	check("\x9b" "2J", TERMSAFE_ALL, "\\x9b2J");
	check("\x80", TERMSAFE_ALL, "\\x80");
	check("\xe9\x9b", TERMSAFE_ALL, "\\xe9\\x9b");
	check("\xc0\xaf", TERMSAFE_ALL, "\\xc0\\xaf");
	check("\xe0\x80\xaf", TERMSAFE_ALL, "\\xe0\\x80\\xaf");
	check("\xf0\x80\x80\xaf", TERMSAFE_ALL, "\\xf0\\x80\\x80\\xaf");
	check("\xed\xa0\x80", TERMSAFE_ALL, "\\xed\\xa0\\x80");
	check("\xf4\x90\x80\x80", TERMSAFE_ALL, "\\xf4\\x90\\x80\\x80");
	/* An invalid byte does not swallow the valid text after it. */
	check("\xe9集", TERMSAFE_ALL, "\\xe9集");
}

static void test_add_with_nul(void **state)
{
	struct strbuf b = { 0 };
	char *s = NULL;

	(void)state;
	strbuf_adds(&b, "> ");
	termsafe_add(&b, "a\0b\xe9", 4, TERMSAFE_ALL);
	s = strbuf_detach(&b, NULL);
	assert_string_equal(s, "> a\\x00b\\xe9");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_empty), cmocka_unit_test(test_printable_kept),
		cmocka_unit_test(test_c0_and_del),     cmocka_unit_test(test_keep_lines),
		cmocka_unit_test(test_c1_and_bidi),    cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_add_with_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
