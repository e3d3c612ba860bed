/* ui/text: display widths and wrapping of English and Chinese text, and
 * what text_draw() puts on the screen for control characters. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../ui/text.h"

static int setup(void **state)
{
	(void)state;
	/* C.UTF-8 knows the width of CJK characters. */
	return setlocale(LC_ALL, "C.UTF-8") != NULL ? 0 : -1;
}

static void widths(void **state)
{
	(void)state;
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width("Pod network"), 11);
	assert_int_equal(text_width("Pod 网段"), 8);
	assert_int_equal(text_width("集群名称"), 8);
	/* A byte that starts no character still takes a column. */
	assert_int_equal(text_width("a\xff" "b"), 3);
}

static void wrap_english_at_blanks(void **state)
{
	char **lines = NULL;
	size_t n = text_wrap("pods and Services need separate ranges", 16, &lines);

	(void)state;
	assert_int_equal(n, 3);
	assert_string_equal(lines[0], "pods and");
	assert_string_equal(lines[1], "Services need");
	assert_string_equal(lines[2], "separate ranges");
	text_lines_free(&lines, n);
	assert_null(lines);
}

static void wrap_long_word_and_newlines(void **state)
{
	char **lines = NULL;
	size_t n = text_wrap("abcdefghij\n\nxy", 4, &lines);

	(void)state;
	assert_int_equal(n, 5);
	assert_string_equal(lines[0], "abcd");
	assert_string_equal(lines[1], "efgh");
	assert_string_equal(lines[2], "ij");
	assert_string_equal(lines[3], "");
	assert_string_equal(lines[4], "xy");
	text_lines_free(&lines, n);
	assert_int_equal(text_wrap("", 10, NULL), 1);
}

static void wrap_chinese_by_columns(void **state)
{
	char **lines = NULL;
	/* Ten characters, twenty columns, then a full stop. */
	size_t n = text_wrap("一二三四五六七八九十。", 20, &lines);

	(void)state;
	/* The full stop may not start a line: the last character goes with
	 * it. */
	assert_int_equal(n, 2);
	assert_string_equal(lines[0], "一二三四五六七八九");
	assert_string_equal(lines[1], "十。");
	for (size_t i = 0; i < n; i++)
		assert_true(text_width(lines[i]) <= 20);
	text_lines_free(&lines, n);
	n = text_wrap("Pod 和 Service 需要使用不同的网段", 12, &lines);
	for (size_t i = 0; i < n; i++)
		assert_true(text_width(lines[i]) <= 12);
	text_lines_free(&lines, n);
}

/* The character text_draw() left in column x of win. */
static wchar_t drawn_at(WINDOW *win, int x)
{
	cchar_t c;
	wchar_t wc[CCHARW_MAX + 1] = { 0 };
	attr_t attr = 0;
	short pair = 0;

	assert_int_equal(mvwin_wch(win, 0, x, &c), OK);
	assert_int_equal(getcchar(&c, wc, &attr, &pair, NULL), OK);
	return wc[0];
}

static void draw_controls_as_question_marks(void **state)
{
	FILE *out = fopen("/dev/null", "w");
	SCREEN *screen = NULL;
	WINDOW *win = NULL;

	(void)state;
	assert_non_null(out);
	screen = newterm("xterm", out, stdin);
	assert_non_null(screen);
	win = newwin(1, 20, 0, 0);
	/* ESC, a C1 CSI (U+009B), a right-to-left override, then Chinese. */
	text_draw(win, 0, 0, "a\x1b" "b\xc2\x9b" "c\xe2\x80\xae" "d集", 20, A_NORMAL, false);
	assert_int_equal(drawn_at(win, 0), L'a');
	assert_int_equal(drawn_at(win, 1), L'?');
	assert_int_equal(drawn_at(win, 2), L'b');
	assert_int_equal(drawn_at(win, 3), L'?');
	assert_int_equal(drawn_at(win, 4), L'c');
	assert_int_equal(drawn_at(win, 5), L'?');
	assert_int_equal(drawn_at(win, 6), L'd');
	assert_int_equal(drawn_at(win, 7), L'集');
	delwin(win);
	endwin();
	delscreen(screen);
	fclose(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(widths),
		cmocka_unit_test(wrap_english_at_blanks),
		cmocka_unit_test(wrap_long_word_and_newlines),
		cmocka_unit_test(wrap_chinese_by_columns),
		cmocka_unit_test(draw_controls_as_question_marks),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
