/* Colours as roles: screens ask for "an error" or "the focused field", never
 * for a colour pair. One table maps each role to colours and to the
 * attribute used on a monochrome terminal or when NO_COLOR is set. */
#ifndef K8SW_UI_THEME_H
#define K8SW_UI_THEME_H

#include <curses.h>
#include <stdbool.h>

/* X(role, foreground, background, attribute with colour, attribute without) */
#define THEME_ROLES(X)                                                            \
	X(NORMAL, -1, -1, A_NORMAL, A_NORMAL)                                     \
	X(BAR, COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE)                      \
	X(BAR_CURRENT, COLOR_BLACK, COLOR_CYAN, A_BOLD, A_BOLD)                   \
	X(BAR_DISABLED, COLOR_CYAN, COLOR_BLUE, A_NORMAL, A_REVERSE | A_DIM)      \
	X(TITLE, -1, -1, A_BOLD, A_BOLD)                                          \
	X(HEADING, COLOR_CYAN, -1, A_BOLD, A_BOLD | A_UNDERLINE)                  \
	X(LABEL, -1, -1, A_NORMAL, A_NORMAL)                                      \
	X(VALUE, COLOR_GREEN, -1, A_NORMAL, A_NORMAL)                             \
	X(DEFAULTED, -1, -1, A_DIM, A_DIM)                                        \
	X(FOCUS, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE)                    \
	X(EDIT, COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_UNDERLINE)                  \
	X(HELP, -1, -1, A_DIM, A_DIM)                                             \
	X(ERROR, COLOR_RED, -1, A_BOLD, A_BOLD)                                   \
	X(WARNING, COLOR_YELLOW, -1, A_BOLD, A_BOLD)                              \
	X(OK, COLOR_GREEN, -1, A_BOLD, A_BOLD)                                    \
	X(RUNNING, COLOR_CYAN, -1, A_BOLD, A_BOLD)                                \
	X(BUTTON, -1, -1, A_BOLD, A_BOLD)                                         \
	X(DISABLED, -1, -1, A_DIM, A_DIM)                                         \
	X(FOOTER_KEY, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE)               \
	X(FOOTER, -1, -1, A_NORMAL, A_NORMAL)                                     \
	X(DIALOG, COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_NORMAL)                   \
	X(DIALOG_TITLE, COLOR_BLUE, COLOR_WHITE, A_BOLD, A_BOLD)                  \
	X(DIALOG_ERROR, COLOR_RED, COLOR_WHITE, A_BOLD, A_BOLD)                   \
	X(DIALOG_FOCUS, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE)

#define THEME_ENUM(role, fg, bg, attr, mono) ROLE_##role,
enum theme_role { THEME_ROLES(THEME_ENUM) ROLE_COUNT };
#undef THEME_ENUM

/* Set up colour pairs after initscr(): colours when the terminal has them and
 * NO_COLOR is unset or empty, the monochrome attributes otherwise. */
void theme_init(void);

/* Whether colours are in use. */
bool theme_has_colour(void);

/* The attribute (pair and flags) of a role. */
attr_t theme_attr(enum theme_role role);

/* The colour pair of a role (0 in monochrome), for wattr_set() and setcchar(). */
short theme_pair(enum theme_role role);

#endif
