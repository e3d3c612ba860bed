/* A recogniser for RE2/Go regular expression syntax: one pass over at most
 * RESYNTAX_MAX_LEN characters with a fixed-size stack of groups, tracking how
 * large the expression grows once its repetitions are expanded. */
#include "config.h"

#include "resyntax.h"

#include <stddef.h>
#include <string.h>

#include "nls.h"

/* Named groups kept for the duplicate check; "(?P<a>)" takes 7 characters. */
#define MAX_NAMES (RESYNTAX_MAX_LEN / 6)

/* One open group (the whole expression is the bottom one). Sizes are capped
 * at RESYNTAX_MAX_SIZE + 1 so that they never overflow. */
struct level {
	unsigned long alts;   /* the alternatives before the last '|', and the '|'s */
	unsigned long concat; /* the current alternative */
	unsigned long last;   /* the last item of concat, the one a repetition takes */
	bool have_last;       /* there is an item to repeat */
	bool repeated;        /* that item is already a repetition */
};

struct parser {
	const char *s;
	size_t i, n;
	struct level stack[RESYNTAX_MAX_LEN + 1];
	size_t depth;
	struct {
		size_t at, len;
	} names[MAX_NAMES];
	size_t n_names;
	const char *why;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static long hex_value(char c)
{
	return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

static unsigned long cap(unsigned long v)
{
	return v > RESYNTAX_MAX_SIZE ? RESYNTAX_MAX_SIZE + 1 : v;
}

static unsigned long cap_mul(unsigned long a, unsigned long b)
{
	return b != 0 && a > (RESYNTAX_MAX_SIZE + 1) / b ? RESYNTAX_MAX_SIZE + 1 : cap(a * b);
}

static bool fail(struct parser *p, const char *why)
{
	p->why = why;
	return false;
}

/* Append an item of size to the current alternative. */
static void item(struct parser *p, unsigned long size)
{
	struct level *l = &p->stack[p->depth];

	l->concat = cap(l->concat + size);
	l->last = size;
	l->have_last = true;
	l->repeated = false;
}

/* Repeat the last item min to max times (max < 0: no upper bound). */
static bool repeat(struct parser *p, long min, long max)
{
	struct level *l = &p->stack[p->depth];
	unsigned long times = (unsigned long)(max < 0 ? (min > 0 ? min : 1) : max);
	unsigned long size = 0;

	if (!l->have_last)
		return fail(p, N_("a repetition (*, +, ?, {n}) follows nothing it could repeat"));
	if (l->repeated)
		return fail(p, N_("a repetition of a repetition (like a** or a{2}+) is not "
				  "valid RE2"));
	/* The copies and one instruction to loop or skip. */
	size = cap(cap_mul(l->last, times) + 1);
	l->concat = cap(l->concat - l->last + size);
	l->last = size;
	l->repeated = true;
	/* x*? x+? x?? x{n,m}?: the lazy forms. */
	if (p->i < p->n && p->s[p->i] == '?')
		p->i++;
	return true;
}

/* A decimal count at p->i without leading zeros; false (nothing consumed)
 * when there is none. */
static bool count(struct parser *p, size_t *at, long *out)
{
	size_t start = *at;
	long v = 0;

	while (*at < p->n && is_digit(p->s[*at])) {
		if (v <= RESYNTAX_MAX_REPEAT)
			v = v * 10 + (p->s[*at] - '0');
		(*at)++;
	}
	if (*at == start || (p->s[start] == '0' && *at - start > 1)) {
		*at = start;
		return false;
	}
	*out = v;
	return true;
}

/* After '{': {n}, {n,} or {n,m}. Anything else makes the '{' a literal, as
 * in Go. */
static bool brace(struct parser *p)
{
	size_t at = p->i;
	long min = 0, max = 0;

	if (!count(p, &at, &min))
		goto literal;
	max = min;
	if (at < p->n && p->s[at] == ',') {
		at++;
		max = -1;
		if (at < p->n && p->s[at] != '}' && !count(p, &at, &max))
			goto literal;
	}
	if (at >= p->n || p->s[at] != '}')
		goto literal;
	p->i = at + 1;
	if (min > RESYNTAX_MAX_REPEAT || max > RESYNTAX_MAX_REPEAT || (max >= 0 && max < min))
		return fail(p, N_("a repetition count is above 1000 or its maximum below its "
				  "minimum: RE2 allows {n,m} with n <= m <= 1000"));
	return repeat(p, min, max);
literal:
	item(p, 1);
	return true;
}

/* \p{Name}, \pL: Unicode general categories only (Go knows scripts too, but
 * node names are ASCII and a misspelt script would stop the approver). */
static bool unicode_class(struct parser *p)
{
	static const char *const names[] = {
		"Any", "C",  "Cc", "Cf", "Co", "Cs", "L",  "Ll", "Lm", "Lo", "Lt", "Lu",
		"M",   "Mc", "Me", "Mn", "N",  "Nd", "Nl", "No", "P",  "Pc", "Pd", "Pe",
		"Pf",  "Pi", "Po", "Ps", "S",  "Sc", "Sk", "Sm", "So", "Z",  "Zl", "Zp",
		"Zs",  NULL,
	};
	size_t start = 0, len = 0;

	if (p->i >= p->n)
		return fail(p, N_("\\p needs a class name, like \\pL or \\p{Lu}"));
	if (p->s[p->i] != '{') {
		start = p->i++;
		len = 1;
	} else {
		const char *close = memchr(p->s + p->i, '}', p->n - p->i);

		if (close == NULL)
			return fail(p, N_("\\p{ has no closing }"));
		start = p->i + 1;
		if (start < p->n && p->s[start] == '^')
			start++;
		len = (size_t)(close - (p->s + start));
		p->i = (size_t)(close - p->s) + 1;
	}
	for (size_t k = 0; names[k] != NULL; k++) {
		if (strlen(names[k]) == len && memcmp(names[k], p->s + start, len) == 0)
			return true;
	}
	return fail(p, N_("\\p and \\P take a Unicode category such as L, Lu, Nd or Any"));
}

/* What an escape stands for. */
enum escape_kind {
	ESC_CHAR,   /* one character: it can end a range */
	ESC_CLASS,  /* \d, \pL...: a set of characters */
	ESC_ASSERT, /* \b, \A...: a position, nothing to repeat */
};

/* The escape after a backslash at p->i - 1; *kind says what it stands for
 * and *code, for ESC_CHAR, which character. in_class: inside [...], where
 * assertions are not allowed. */
static bool escape(struct parser *p, bool in_class, enum escape_kind *kind, long *code)
{
	static const char controls[] = "a\af\fn\nr\rt\tv\v";
	char c = 0;

	*kind = ESC_CHAR;
	*code = 0;
	if (p->i >= p->n)
		return fail(p, N_("the expression ends with a lone backslash"));
	c = p->s[p->i++];
	if (is_digit(c))
		return fail(p, N_("\\1 and other digit escapes are backreferences, which RE2 "
				  "does not have"));
	if (!is_alpha(c)) { /* \. \* \\ \- ...: the character itself */
		*code = c;
		return true;
	}
	for (size_t k = 0; controls[k] != '\0'; k += 2) {
		if (controls[k] == c) {
			*code = controls[k + 1];
			return true;
		}
	}
	if (c == 'x') {
		size_t k = p->i + 1;

		if (p->i < p->n && p->s[p->i] == '{') {
			while (k < p->n && is_hex(p->s[k]) && k - p->i <= 6)
				*code = *code * 16 + hex_value(p->s[k++]);
			if (k == p->i + 1 || k >= p->n || p->s[k] != '}' || *code > 0x10ffff)
				return fail(p, N_("\\x{...} needs a code point of 1 to 6 "
						  "hexadecimal digits, at most 10FFFF"));
			p->i = k + 1;
			return true;
		}
		if (p->i + 2 > p->n || !is_hex(p->s[p->i]) || !is_hex(p->s[p->i + 1]))
			return fail(p, N_("\\x needs two hexadecimal digits, like \\x2d"));
		*code = hex_value(p->s[p->i]) * 16 + hex_value(p->s[p->i + 1]);
		p->i += 2;
		return true;
	}
	*kind = ESC_CLASS;
	if (strchr("dDsSwW", c) != NULL)
		return true;
	if (c == 'p' || c == 'P')
		return unicode_class(p);
	*kind = ESC_ASSERT;
	if (!in_class && strchr("AzbB", c) != NULL)
		return true;
	return fail(p, N_("an unknown escape: RE2 knows \\d \\s \\w \\b \\A \\z \\x \\p, "
			  "\\Q...\\E and a backslash before punctuation"));
}

/* One member of a character class at p->i: a character (*single, with its
 * *code), or a set (\d, [:digit:]). */
static bool class_member(struct parser *p, bool *single, long *code)
{
	static const char *const posix[] = { "alnum", "alpha", "ascii", "blank", "cntrl",
					     "digit", "graph", "lower", "print", "punct",
					     "space", "upper", "word",  "xdigit", NULL };
	enum escape_kind kind = ESC_CHAR;
	char c = p->s[p->i++];

	*single = true;
	*code = c;
	if (c == '\\') {
		if (!escape(p, true, &kind, code))
			return false;
		*single = kind == ESC_CHAR;
		return true;
	}
	if (c == '[' && p->i < p->n && p->s[p->i] == ':') {
		size_t start = p->i + 1;
		const char *end = NULL;

		if (start < p->n && p->s[start] == '^')
			start++;
		end = strstr(p->s + start, ":]");
		for (size_t k = 0; end != NULL && posix[k] != NULL; k++) {
			if (strlen(posix[k]) == (size_t)(end - (p->s + start)) &&
			    memcmp(posix[k], p->s + start, strlen(posix[k])) == 0) {
				p->i = (size_t)(end - p->s) + 2;
				*single = false;
				return true;
			}
		}
	}
	return true; /* any other character, '[' included, is itself */
}

/* [...] after the '['. */
static bool char_class(struct parser *p)
{
	bool first = true;

	if (p->i < p->n && p->s[p->i] == '^')
		p->i++;
	for (;;) {
		bool single = false, hi_single = false;
		long lo = 0, hi = 0;

		if (p->i >= p->n)
			return fail(p, N_("a character class [ has no closing ]"));
		/* A ']' first is a literal, as in Go. */
		if (p->s[p->i] == ']' && !first) {
			p->i++;
			return true;
		}
		first = false;
		if (!class_member(p, &single, &lo))
			return false;
		/* lo-hi; a '-' before the closing ']' is itself. */
		if (p->i + 1 >= p->n || p->s[p->i] != '-' || p->s[p->i + 1] == ']')
			continue;
		p->i++;
		if (!class_member(p, &hi_single, &hi))
			return false;
		if (!single || !hi_single)
			return fail(p, N_("a range in a character class starts or ends in a set "
					  "like \\d or [:digit:]"));
		if (hi < lo)
			return fail(p, N_("a range in a character class runs backwards, like "
					  "[z-a]"));
	}
}

/* After "(?": flags, a named group, or something RE2 does not have. */
static bool group_options(struct parser *p, bool *opens)
{
	bool minus = false, any = false;
	size_t start = 0;

	*opens = true;
	if (p->i >= p->n)
		return fail(p, N_("a group ( has no closing )"));
	if (p->s[p->i] == '=' || p->s[p->i] == '!' ||
	    (p->s[p->i] == '<' && p->i + 1 < p->n &&
	     (p->s[p->i + 1] == '=' || p->s[p->i + 1] == '!')))
		return fail(p, N_("lookahead and lookbehind, (?= (?! (?<= (?<!, are not "
				  "RE2"));
	if (p->s[p->i] == 'P' && p->i + 1 < p->n && p->s[p->i + 1] == '=')
		return fail(p, N_("(?P=name) is a backreference, which RE2 does not have"));
	/* (?<name>...) is new in Go 1.22: the approver may be older. */
	if (p->s[p->i] == 'P' || p->s[p->i] == '<') {
		if (p->s[p->i] != 'P' || p->i + 1 >= p->n || p->s[p->i + 1] != '<')
			return fail(p, N_("a named group is written (?P<name>...)"));
		p->i += 2;
		start = p->i;
		while (p->i < p->n && (is_alpha(p->s[p->i]) || is_digit(p->s[p->i]) ||
				       p->s[p->i] == '_'))
			p->i++;
		if (p->i == start || p->i >= p->n || p->s[p->i] != '>')
			return fail(p, N_("a group name is letters, digits and '_', closed "
					  "by >"));
		for (size_t k = 0; k < p->n_names; k++) {
			if (p->names[k].len == p->i - start &&
			    memcmp(p->s + p->names[k].at, p->s + start, p->i - start) == 0)
				return fail(p, N_("two groups have the same name"));
		}
		p->names[p->n_names].at = start;
		p->names[p->n_names].len = p->i - start;
		p->n_names++;
		p->i++;
		return true;
	}
	/* (?flags) and (?flags:...), flags from imsU on either side of one '-'. */
	for (; p->i < p->n; p->i++) {
		char c = p->s[p->i];

		if (c == ':' || c == ')') {
			/* (?:...) has no flags; (?) (?-) and (?i-) are errors. */
			if (!any && (minus || c == ')'))
				break;
			p->i++;
			*opens = c == ':';
			return true;
		}
		if (c == '-' && !minus) {
			minus = true;
			any = false;
			continue;
		}
		if (strchr("imsU", c) == NULL)
			break;
		any = true;
	}
	return fail(p, N_("a group starting (? is (?:...), (?P<name>...) or flags from "
			  "imsU like (?i)"));
}

bool resyntax_check(const char *s, const char **why)
{
	struct parser *p = NULL;
	struct parser parser;
	bool ok = false;
	enum escape_kind kind = ESC_CHAR;
	long code = 0;

	memset(&parser, 0, sizeof parser);
	p = &parser;
	p->s = s;
	p->n = strlen(s);
	if (p->n == 0 || p->n > RESYNTAX_MAX_LEN) {
		fail(p, N_("use an RE2 regular expression of 1 to 256 characters, like "
			   "^node[0-9]+$"));
		goto out;
	}
	for (size_t k = 0; k < p->n; k++) {
		if (s[k] < 0x20 || s[k] > 0x7e) {
			fail(p, N_("use printable ASCII characters only"));
			goto out;
		}
	}
	while (p->i < p->n) {
		char c = s[p->i++];
		struct level *l = &p->stack[p->depth];
		bool opens = true;

		switch (c) {
		case '(':
			if (p->i < p->n && s[p->i] == '?') {
				p->i++;
				if (!group_options(p, &opens))
					goto out;
			}
			if (!opens) { /* (?i): flags for what follows, no group */
				l->have_last = false;
				break;
			}
			p->depth++;
			memset(&p->stack[p->depth], 0, sizeof p->stack[p->depth]);
			break;
		case ')': {
			unsigned long size = cap(l->alts + l->concat + 1);

			if (p->depth == 0) {
				fail(p, N_("a ) closes no group"));
				goto out;
			}
			p->depth--;
			item(p, size);
			break;
		}
		case '|':
			l->alts = cap(l->alts + l->concat + 1);
			l->concat = 0;
			l->have_last = false;
			break;
		case '*':
		case '+':
			if (!repeat(p, c == '+' ? 1 : 0, -1))
				goto out;
			break;
		case '?':
			if (!repeat(p, 0, 1))
				goto out;
			break;
		case '{':
			if (!brace(p))
				goto out;
			break;
		case '[':
			if (!char_class(p))
				goto out;
			item(p, 1);
			break;
		case '\\':
			if (p->i < p->n && s[p->i] == 'Q') {
				/* \Q...\E: literal text, each character an item. */
				const char *end = strstr(s + p->i + 1, "\\E");
				size_t stop = end != NULL ? (size_t)(end - s) : p->n;

				for (p->i++; p->i < stop; p->i++)
					item(p, 1);
				p->i = end != NULL ? stop + 2 : p->n;
				break;
			}
			if (!escape(p, false, &kind, &code))
				goto out;
			item(p, 1);
			/* A position (\b, \A) has nothing to repeat. */
			l->have_last = kind != ESC_ASSERT;
			break;
		case '^':
		case '$':
			item(p, 1);
			l->have_last = false;
			break;
		default: /* a literal or '.' */
			item(p, 1);
			break;
		}
		if (p->stack[p->depth].concat + p->stack[p->depth].alts > RESYNTAX_MAX_SIZE) {
			fail(p, N_("the expression is too large once its repetitions are expanded: "
				   "a{1,100} counts about 100, (a{1,100}){1,100} about 10,000, and "
				   "at most 2,000 are allowed"));
			goto out;
		}
	}
	if (p->depth > 0) {
		fail(p, N_("a group ( has no closing )"));
		goto out;
	}
	ok = true;
out:
	if (!ok && why != NULL)
		*why = p->why;
	return ok;
}
