#!/bin/sh
# Every malformed plan under tests/plans/bad/ makes `plan check` exit 2 with
# exactly the messages in its .expected file on stderr and nothing on stdout.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir/tests/plans/bad"
export LC_ALL=C LANGUAGE=
count=0
for plan in *.yaml; do
	name=${plan%.yaml}
	count=$((count + 1))
	rc=0
	"$K8SW" plan check -f "$plan" >"$TMP/out" 2>"$TMP/err" || rc=$?
	check "$name: exit status 2" [ "$rc" -eq 2 ]
	check "$name: nothing on stdout" [ ! -s "$TMP/out" ]
	if ! cmp -s "$name.expected" "$TMP/err"; then
		diff -u "$name.expected" "$TMP/err" >&2
		check "$name: messages" false
	fi
	# plan export refuses the same plan the same way.
	rc=0
	"$K8SW" plan export -f "$plan" >"$TMP/out" 2>"$TMP/err2" || rc=$?
	check "$name: export refuses" [ "$rc" -eq 2 ]
	check "$name: export writes nothing" [ ! -s "$TMP/out" ]
	check "$name: export explains" cmp -s "$name.expected" "$TMP/err2"
done
check "at least 30 malformed plans" [ "$count" -ge 30 ]
finish "$count malformed plans"
