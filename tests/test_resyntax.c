/* Unit tests of src/resyntax.c: what RE2 and Go's regexp accept passes, what
 * they refuse (backreferences, lookaround, counts above 1000) fails with a
 * reason, and expressions that expand beyond the bound fail quickly. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "resyntax.h"

struct rcase {
	const char *re;
	const char *why; /* NULL: valid; else a word of the reason */
};

static const struct rcase cases[] = {
	{ "^node[0-9]+$", NULL },
	{ "^(node|worker)\\d+$", NULL },
	{ "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$", NULL },
	{ ".*", NULL },
	{ "a|", NULL },
	{ "()", NULL },
	{ "(?i)^NODE\\d{1,3}$", NULL },
	{ "(?i-s:a.b)", NULL },
	{ "(?:a|b)+?", NULL },
	{ "(?P<n>a)(?P<m>b)", NULL },
	{ "[]a]", NULL },
	{ "[^-a-z.]", NULL },
	{ "[[:alpha:][:^digit:]_]", NULL },
	{ "[\\d\\-x]", NULL },
	{ "[+--]", NULL },
	{ "\\x41\\x{10FFFF}\\.\\*\\\\\\t", NULL },
	{ "\\pL\\p{Lu}\\P{^Nd}", NULL },
	{ "\\Aa\\b\\B\\z", NULL },
	{ "\\Q*+?\\E", NULL },
	{ "a{2}b{2,}c{2,5}d{0}", NULL },
	{ "a{,5}", NULL },  /* Go: a literal '{' */
	{ "a{01}", NULL },  /* Go: a literal '{' */
	{ "x{1000}", NULL },
	{ "[a-z]{1,1000}[0-9]{1,998}", NULL },
	{ "(((a{1,100}){1,100}){1,100})", "too large" },
	{ "(a{1,50}){1,50}", "too large" },
	{ "[a-z]{1,1000}[0-9]{1,1000}", "too large" },
	{ "a{1001}", "above 1000" },
	{ "a{1,1001}", "above 1000" },
	{ "a{5,2}", "above 1000" },
	{ "a{99999999999999999999}", "above 1000" },
	{ "(a)\\1", "backreference" },
	{ "\\0", "backreference" },
	{ "(?P<n>a)(?P=n)", "backreference" },
	{ "a(?=b)", "lookahead" },
	{ "a(?!b)", "lookahead" },
	{ "(?<=a)b", "lookahead" },
	{ "(?<!a)b", "lookahead" },
	{ "(?<n>a)", "(?P<name>" },
	{ "(?P<n>a)(?P<n>b)", "same name" },
	{ "(?P<>a)", "group name" },
	{ "(?#comment)", "flags" },
	{ "(?)", "flags" },
	{ "(?i-)", "flags" },
	{ "(?x)", "flags" },
	{ "*a", "follows nothing" },
	{ "a|*", "follows nothing" },
	{ "(*)", "follows nothing" },
	{ "^*", "follows nothing" },
	{ "\\b+", "follows nothing" },
	{ "(?i)*", "follows nothing" },
	{ "a**", "repetition of a repetition" },
	{ "a{2}{3}", "repetition of a repetition" },
	{ "a+*", "repetition of a repetition" },
	{ "a*??", "repetition of a repetition" },
	{ "(a", "no closing )" },
	{ "a)", "closes no group" },
	{ "[a", "no closing ]" },
	{ "[]", "no closing ]" },
	{ "[z-a]", "backwards" },
	{ "[\\d-z]", "set" },
	{ "[a-\\w]", "set" },
	{ "[a-[:digit:]]", "set" },
	{ "a\\", "lone backslash" },
	{ "\\C", "unknown escape" },
	{ "\\Z", "unknown escape" },
	{ "[\\b]", "unknown escape" },
	{ "\\xZZ", "hexadecimal" },
	{ "\\x{110000}", "hexadecimal" },
	{ "\\x{}", "hexadecimal" },
	{ "\\p{Greekish}", "Unicode category" },
	{ "\\p{L", "closing }" },
	{ "a\\p", "needs a class name" },
	{ "(?", "no closing )" },
	{ "", "1 to 256" },
	{ "node\n", "printable ASCII" },
	{ "n\xc3\xb6" "de", "printable ASCII" },
};

static void table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *why = NULL;
		bool ok = resyntax_check(cases[i].re, &why);

		if (ok != (cases[i].why == NULL))
			fail_msg("'%s': expected %s, got %s (%s)", cases[i].re,
				 cases[i].why == NULL ? "accept" : "reject", ok ? "accept" : "reject",
				 why != NULL ? why : "-");
		if (!ok && (why == NULL || strstr(why, cases[i].why) == NULL))
			fail_msg("'%s': reason '%s' lacks '%s'", cases[i].re, why != NULL ? why : "-",
				 cases[i].why);
	}
}

/* 256 characters at most, and each read once: the worst cases come back at
 * once, whatever their nesting. */
static void bounded(void **state)
{
	char s[600];
	size_t n = 0;
	clock_t start = clock();
	const char *why = NULL;

	(void)state;
	/* Deepest nesting that fits: ((((...a{1000}...){1000}...). */
	for (n = 0; n < 42; n++)
		s[n] = '(';
	s[n++] = 'a';
	for (size_t k = 0; k < 42; k++) {
		memcpy(s + n, "){999}", 6);
		n += 6;
	}
	s[n] = '\0';
	assert_false(resyntax_check(s, &why)); /* 295 characters */
	assert_non_null(strstr(why, "1 to 256"));
	s[256] = '\0';
	assert_false(resyntax_check(s, &why));
	assert_non_null(strstr(why, "too large"));
	for (n = 0; n < 128; n++)
		s[n] = '(';
	for (; n < 256; n++)
		s[n] = ')';
	s[n] = '\0';
	assert_true(resyntax_check(s, &why));
	for (int k = 0; k < 1000; k++)
		resyntax_check("(((a{1,100}){1,100}){1,100})", NULL);
	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
