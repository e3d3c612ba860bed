#!/bin/sh
# A plan's control characters never reach the terminal raw: `plan check` and
# `apply` of a hostile plan (escape sequences, OSC 52 to the clipboard, a
# fake "the plan is valid" line through \r and \n, in quoted YAML keys and
# values) print them escaped (\xNN), each problem on one line, and contact
# no host (the plan is invalid).
. "$top_srcdir/tests/lib.sh"
export LC_ALL=C.UTF-8 LANGUAGE=
export K8SW_STATE_DIR="$TMP/state"

# Double-quoted YAML escapes put the raw bytes into the loaded strings.
cat >"$TMP/hostile.yaml" <<'PLAN'
apiVersion: k8s-wizard/v1
kind: ClusterPlan
name: prod
hosts:
- name: master1
  address: 10.1.1.1
  roles: [master, etcd]
- name: master2
  address: 10.1.1.2
  roles: [master, etcd]
- name: master3
  address: 10.1.1.3
  roles: [master, etcd]
- name: node1
  address: 10.1.1.4
  roles: ["wr\roker\nk8s-wizard: the plan is valid\e[2A\e[K"]
"colour\e]52;c;cm0gLXJmIH4=\a": blue
"size\u009b2J\r\nk8s-wizard: the plan is valid": 1
PLAN

# has_byte FILE OCTAL: whether FILE holds that byte.
has_byte() {
	[ "$(tr -dc "$2" <"$1" | wc -c)" -gt 0 ]
}

for cmd in "plan check" "apply"; do
	rc=0
	# shellcheck disable=SC2086 # the command is two words on purpose
	"$K8SW" $cmd -f "$TMP/hostile.yaml" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	cat "$TMP/out" "$TMP/err" >"$TMP/all"
	check "$cmd: exit status 2 (invalid plan)" [ "$rc" -eq 2 ]
	check "$cmd: no raw ESC" sh -c '! grep -q "$(printf "\033")" "$1"' - "$TMP/all"
	check "$cmd: no raw CR" sh -c '! grep -q "$(printf "\r")" "$1"' - "$TMP/all"
	check "$cmd: no raw BEL" sh -c '! grep -q "$(printf "\a")" "$1"' - "$TMP/all"
	check "$cmd: no raw C1 CSI" sh -c '! grep -q "$(printf "\302\233")" "$1"' - "$TMP/all"
	check "$cmd: no fake line" sh -c '! grep -q "^k8s-wizard: the plan is valid" "$1"' - \
		"$TMP/all"
	check "$cmd: the value escaped" grep -qF \
		"wr\\x0doker\\x0ak8s-wizard: the plan is valid\\x1b[2A\\x1b[K" "$TMP/err"
	check "$cmd: the key escaped" grep -qF "colour\\x1b]52;c;cm0gLXJmIH4=\\x07" "$TMP/err"
	check "$cmd: C1 escaped" grep -qF "size\\u009b2J\\x0d\\x0ak8s-wizard" "$TMP/err"
	check "$cmd: no host contacted" [ ! -d "$K8SW_STATE_DIR/prod/runs" ]
done
finish "control characters of a plan"
