#!/bin/sh
# The layer rule: src/ never includes curses, ui/ never includes libssh or
# OpenSSL, and the program (cli/) draws only through ui/ui.h. The engine
# and the UI meet only through src/ headers.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir"
# Curses headers under any directory: <curses.h>, <ncursesw/curses.h>, <ncurses/panel.h>...
curses='[<"]([A-Za-z0-9_]+/)?(n?cursesw?|panel|menu|form|term)\.h'
bad=$(grep -nE "#[[:space:]]*include[[:space:]]*$curses" src/*.c src/*.h)
[ -z "$bad" ] || fail "src/ must not include curses:
$bad"
# The library's own headers are all in src/: a quoted include of anything else
# ("../ui/ui.h", "ui/theme.h", "cmd.h") reaches into the UI or the program.
bad=$(for f in src/*.c src/*.h; do
	sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while read -r h; do
		case $h in
		config.h) ;;
		*/*) echo "$f: \"$h\"" ;;
		*) [ -f "src/$h" ] || echo "$f: \"$h\"" ;;
		esac
	done
done)
[ -z "$bad" ] || fail "src/ includes only its own headers (not ui/ or cli/):
$bad"
bad=$(grep -nE '#[[:space:]]*include[[:space:]]*<(ui|cli)/' src/*.c src/*.h)
[ -z "$bad" ] || fail "src/ must not include ui/ or cli/ headers:
$bad"
bad=$(grep -nE '#[[:space:]]*include[[:space:]]*[<"](libssh/|openssl/)' ui/*.c ui/*.h)
[ -z "$bad" ] || fail "ui/ must not include libssh or OpenSSL:
$bad"
# <term.h> is curses'; "term.h" is cli/term.h, the program's own.
bad=$(grep -nE '#[[:space:]]*include[[:space:]]*([<"]([A-Za-z0-9_]+/)?(n?cursesw?|panel|menu|form)\.h|<([A-Za-z0-9_]+/)?term\.h>)' cli/*.c cli/*.h)
[ -z "$bad" ] || fail "cli/ reaches curses only through ui/ui.h:
$bad"
pass "layering"
