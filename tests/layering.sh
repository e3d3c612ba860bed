#!/bin/sh
# The layer rule: src/ never includes curses, ui/ never includes libssh or
# OpenSSL, and the program (cli/) draws only through ui/ui.h. The engine
# and the UI meet only through src/ headers.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir"
bad=$(grep -nE '#[[:space:]]*include[[:space:]]*[<"](n?curses|panel|menu|form|term)\.h' src/*.c src/*.h)
[ -z "$bad" ] || fail "src/ must not include curses:
$bad"
bad=$(grep -nE '#[[:space:]]*include[[:space:]]*[<"](libssh/|openssl/)' ui/*.c ui/*.h)
[ -z "$bad" ] || fail "ui/ must not include libssh or OpenSSL:
$bad"
# <term.h> is curses'; "term.h" is cli/term.h, the program's own.
bad=$(grep -nE '#[[:space:]]*include[[:space:]]*([<"](n?curses|panel|menu|form)\.h|<term\.h>)' cli/*.c cli/*.h)
[ -z "$bad" ] || fail "cli/ reaches curses only through ui/ui.h:
$bad"
pass "layering"
