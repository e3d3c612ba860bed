#!/bin/sh
# The man page and --help agree: every command "k8s-wizard --help" lists has
# a subsection of the page's COMMANDS and every subsection is such a command;
# the options each command's --help prints are the options of its
# subsection (the .TP items) and no others; the program's own options are
# those of OPTIONS. The page also renders without a warning from man.
. "$top_srcdir/tests/lib.sh"
PAGE=${MAN_PAGE:-$top_srcdir/doc/k8s-wizard.1}
[ -f "$PAGE" ] || fail "no man page at $PAGE"
# The option names are not translated, the headings of --help are.
LC_ALL=C
LANGUAGE=
export LC_ALL LANGUAGE

# help_options: the options a --help text on stdin lists, one a line: the
# words that begin an indented line with "-", each option up to its value.
help_options() {
	awk '{
		match($0, /^ */)
		if (RLENGTH < 2 || RLENGTH > 6) next
		n = split(substr($0, RLENGTH + 1), w, " ")
		if (n == 0 || w[1] !~ /^-/) next
		value = 0
		for (i = 1; i <= n; i++) {
			t = w[i]
			if (t ~ /^-/) {
				sub(/,$/, "", t)
				sub(/=.*/, "", t)
				print t
				value = 1
			} else if (value && t ~ /^[A-Z][][A-Z_:]*$/) {
				value = 0
			} else {
				break
			}
		}
	}' | LC_ALL=C sort -u
}

# man_options SECTION: the options the page's SECTION lists, one a line:
# SECTION is OPTIONS (the program's own) or a command's subsection of
# COMMANDS; its options are the words beginning with "-" in the tags of its
# .TP items.
man_options() {
	awk -v want="$1" '
	function heading(s) {
		sub(/^\.S[HS][ \t]+/, "", s)
		gsub(/"/, "", s)
		gsub(/\\-/, "-", s)
		return s
	}
	/^\.SH/ { sh = heading($0); ss = ""; tag = 0; next }
	/^\.SS/ { ss = heading($0); tag = 0; next }
	/^\.TP/ { tag = 1; next }
	tag {
		tag = 0
		inside = (want == "OPTIONS" && sh == "OPTIONS" && ss == "") ||
			(sh == "COMMANDS" && ss == want)
		if (!inside) next
		s = $0
		sub(/^\.[A-Z]+[ \t]*/, "", s)
		gsub(/\\-/, "-", s)
		gsub(/\\f[BIRP]/, "", s)
		gsub(/[",]/, " ", s)
		n = split(s, w, " ")
		for (i = 1; i <= n; i++)
			if (w[i] ~ /^--?[A-Za-z]/) {
				t = w[i]
				sub(/[^A-Za-z0-9-].*$/, "", t)
				print t
			}
	}' "$PAGE" | LC_ALL=C sort -u
}

# The commands of "k8s-wizard --help": the lines after "Commands:" up to
# the first empty one, each a name and its summary after two spaces.
"$K8SW" --help >"$TMP/help" || fail "k8s-wizard --help failed"
sed -n '/^Commands:$/,/^$/p' "$TMP/help" | awk 'NR > 1 && NF > 0 {
	sub(/^ +/, "")
	print substr($0, 1, index($0, "  ") - 1)
}' | LC_ALL=C sort >"$TMP/help-commands"
[ -s "$TMP/help-commands" ] || fail "no command found in k8s-wizard --help"
awk '/^\.SH/ { s = $0; sub(/^\.SH[ \t]+/, "", s); gsub(/"/, "", s); sh = s; next }
	sh == "COMMANDS" && /^\.SS/ {
		s = $0
		sub(/^\.SS[ \t]+/, "", s)
		gsub(/"/, "", s)
		gsub(/\\-/, "-", s)
		print s
	}' "$PAGE" | LC_ALL=C sort >"$TMP/man-commands"

check "the page has a subsection for each command of --help and no other" \
	diff -u --label 'k8s-wizard --help' --label "$PAGE COMMANDS" \
	"$TMP/help-commands" "$TMP/man-commands"

help_options <"$TMP/help" >"$TMP/help-opts"
man_options OPTIONS >"$TMP/man-opts"
check "k8s-wizard --help's options are those of OPTIONS" \
	[ -s "$TMP/help-opts" ]
check "OPTIONS lists k8s-wizard --help's options and no other" \
	diff -u --label 'k8s-wizard --help' --label "$PAGE OPTIONS" \
	"$TMP/help-opts" "$TMP/man-opts"

# Each command of either list: a command only one side has fails above, and
# its options are compared here against nothing, so each difference shows.
LC_ALL=C sort -u "$TMP/help-commands" "$TMP/man-commands" >"$TMP/commands"
while IFS= read -r cmd; do
	# shellcheck disable=SC2086 # a command is one or two words
	if grep -qxF "$cmd" "$TMP/help-commands"; then
		"$K8SW" $cmd --help >"$TMP/cmd-help" 2>&1 ||
			fail "k8s-wizard $cmd --help failed: $(cat "$TMP/cmd-help")"
		grep -q "^Usage: k8s-wizard $cmd" "$TMP/cmd-help" ||
			fail "k8s-wizard $cmd --help printed no usage line: $(cat "$TMP/cmd-help")"
		help_options <"$TMP/cmd-help" >"$TMP/help-opts"
	else
		: >"$TMP/help-opts"
	fi
	man_options "$cmd" >"$TMP/man-opts"
	check "$cmd: the page's options are those of its --help" \
		diff -u --label "k8s-wizard $cmd --help" --label "$PAGE $cmd" \
		"$TMP/help-opts" "$TMP/man-opts"
done <"$TMP/commands"

# groff's warnings (an unknown macro, a bad escape) on standard error.
command -v man >/dev/null || fail "man (Debian's man-db) is needed to check the page renders"
MANWIDTH=80 man --warnings -l "$PAGE" 2>"$TMP/man-warnings" >"$TMP/man-out" ||
	fail "man -l $PAGE failed: $(cat "$TMP/man-warnings")"
check "man -l renders the page without warnings" [ ! -s "$TMP/man-warnings" ]
[ -s "$TMP/man-warnings" ] && cat "$TMP/man-warnings" >&2
check "man -l renders the page's NAME" grep -q 'k8s-wizard - install a Kubernetes' "$TMP/man-out"
finish "the man page and --help agree"
