#!/bin/sh
# A plan's control characters never reach the terminal raw: `plan check` and
# `apply` of a hostile plan (escape sequences, OSC 52 to the clipboard, a
# fake "the plan is valid" line through \r and \n, in quoted YAML keys and
# values) print them escaped (\xNN), each problem on one line, and contact
# no host (the plan is invalid; its hosts are on loopback all the same).
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
  address: 127.0.99.1
  roles: [master, etcd]
- name: master2
  address: 127.0.99.2
  roles: [master, etcd]
- name: master3
  address: 127.0.99.3
  roles: [master, etcd]
- name: node1
  address: 127.0.99.4
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
# status: what a failed check saw comes from a host (a journal as the
# engine writes it: fields, then the first 16 hex digits of their SHA-256).
"$K8SW" plan init -o "$TMP/plan.yaml" >/dev/null 2>&1 || fail "plan init"
run="$TMP/state/kubernetes/runs/r1"
mkdir -p "$run" && cp "$TMP/plan.yaml" "$run/plan.yaml"
python3 - "$TMP/state/kubernetes/journal" "$run" <<'PY'
import hashlib, sys
def line(*fields):
    body = "\t".join(fields)
    return body + "\t" + hashlib.sha256(body.encode()).hexdigest()[:16] + "\n"
with open(sys.argv[1], "w") as f:
    f.write("k8s-wizard journal 1\n")
    f.write(line("R", "r1", "apply", "1764500000000", sys.argv[2]))
    f.write(line("C", "r1", "etcd", "master1", "etcd-health", "0", "1764500001000",
                 "saw \x1b]52;c;cm0gLXJmIH4=\x07\rk8s-wizard: healthy\x1b[2A"))
    f.write(line("E", "r1", "failed", "1764500002000"))
PY
"$K8SW" status -f "$TMP/plan.yaml" >"$TMP/status" 2>&1
check "status: the failed check is shown" grep -q "check etcd-health" "$TMP/status"
check "status: no raw ESC" sh -c '! grep -q "$(printf "\033")" "$1"' - "$TMP/status"
check "status: no raw CR" sh -c '! grep -q "$(printf "\r")" "$1"' - "$TMP/status"
check "status: what the host said, escaped" grep -qF \
	"saw \x1b]52;c;cm0gLXJmIH4=\x07\x0dk8s-wizard: healthy\x1b[2A" "$TMP/status"
finish "control characters of a plan"
