/* The colour table: one pair per role, or plain attributes when colours are
 * unavailable or unwanted (https://no-color.org: a non-empty NO_COLOR). */
#include "config.h"

#include "theme.h"

#include <stdlib.h>

static const struct {
	short fg, bg;
	attr_t attr, mono;
} roles[ROLE_COUNT] = {
#define THEME_ENTRY(role, f, b, a, m) [ROLE_##role] = { f, b, a, m },
	THEME_ROLES(THEME_ENTRY)
#undef THEME_ENTRY
};

static bool colour;

void theme_init(void)
{
	const char *no_color = getenv("NO_COLOR");

	colour = (no_color == NULL || *no_color == '\0') && has_colors() && start_color() == OK;
	if (!colour)
		return;
	/* -1 is the terminal's own colour; without default colours, use white on
	 * black instead. */
	if (use_default_colors() != OK) {
		for (int i = 0; i < ROLE_COUNT; i++)
			init_pair((short)(i + 1), roles[i].fg < 0 ? COLOR_WHITE : roles[i].fg,
				  roles[i].bg < 0 ? COLOR_BLACK : roles[i].bg);
		return;
	}
	for (int i = 0; i < ROLE_COUNT; i++)
		init_pair((short)(i + 1), roles[i].fg, roles[i].bg);
}

bool theme_has_colour(void)
{
	return colour;
}

short theme_pair(enum theme_role role)
{
	return colour ? (short)(role + 1) : 0;
}

attr_t theme_attr(enum theme_role role)
{
	if (!colour)
		return roles[role].mono;
	return roles[role].attr | COLOR_PAIR(role + 1);
}
