# Helpers for the shell tests that run against the lab (tests/lab/lab.sh),
# sourced after tests/lib.sh:
#   lab_start N        lib.sh's lab_up of hosts 1..N on a free port (skips
#                      when the lab cannot run here, stopped at exit, the
#                      LAB_* variables, HOME="$TMP/home"); sets KH, a copy
#                      of the lab's known_hosts
#   on I CMD...        run a command inside lab host I (not over SSH)
#   lab_plan W FILE [SSH LINES...]
#                      a plan: master1 on host 1, node1..W on hosts 2..W+1,
#                      the lab's port and each line under ssh:
#   kw NAME ARGS...    run k8s-wizard (a hang fails after 5 minutes) with
#                      stdout in $TMP/NAME.out, stderr in $TMP/NAME.err and
#                      its status in $TMP/NAME.rc
#   rc_is NAME RC      NAME exited RC (or say what it printed)
#   has NAME TEXT      NAME's stderr has TEXT (a grep pattern)
#   drv NAME [OPTS] I SCENARIO ARGS...
#                      run the transport's driver (tests/lab_transport.c,
#                      which lists the options and scenarios) against host I
#                      (a hang fails after 2 minutes), output in $TMP/NAME.out
#   out_has NAME REGEX a line of NAME's output matches (grep -E)
LAB="$top_srcdir/tests/lab/lab.sh"
DRIVER="$top_builddir/tests/lab_transport"

lab_start() {
	lab_up "$LAB" "$1" --port auto --dir "$TMP/lab"
	KH="$TMP/known_hosts"
	cp "$LAB_KNOWN_HOSTS" "$KH"
}

on() {
	i=$1
	shift
	sh "$LAB" run "$LAB_DIR" "$i" "$@"
}

lab_plan() {
	_w=$1 _f=$2
	shift 2
	{
		printf 'apiVersion: k8s-wizard/v1\nkind: ClusterPlan\nname: lab\nhosts:\n'
		printf -- '- name: master1\n  address: 127.0.0.11\n  roles: [master, etcd]\n'
		_i=1
		while [ "$_i" -le "$_w" ]; do
			printf -- '- name: node%d\n  address: 127.0.0.%d\n  roles: [worker]\n' \
				"$_i" $((11 + _i))
			_i=$((_i + 1))
		done
		printf 'ssh:\n  port: %s\n' "$LAB_PORT"
		for _l in "$@"; do
			printf '  %s\n' "$_l"
		done
		printf 'addons:\n  csrApprover:\n    providerIPPrefixes: [127.0.0.0/8]\n'
	} >"$_f"
}

kw() {
	name=$1
	shift
	timeout 300 "$K8SW" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}

rc_is() {
	[ "$(cat "$TMP/$1.rc")" = "$2" ] || {
		echo "$1: exit $(cat "$TMP/$1.rc"), expected $2; stderr:" >&2
		cat "$TMP/$1.err" >&2
		return 1
	}
}

has() {
	grep -q -- "$2" "$TMP/$1.err" || {
		echo "$1: no '$2' in:" >&2
		cat "$TMP/$1.err" >&2
		return 1
	}
}

drv() {
	name=$1
	shift
	opts=
	while [ $# -gt 0 ]; do
		case $1 in
		-[ukcb]) opts="$opts $1 $2"; shift 2 ;;
		-[sP]) opts="$opts $1"; shift ;;
		*) break ;;
		esac
	done
	i=$1
	shift
	# shellcheck disable=SC2086
	timeout 120 "$DRIVER" $opts "127.0.0.$((10 + i))" "$LAB_PORT" "$LAB_KEY" "$KH" "$@" \
		>"$TMP/$name.out" 2>&1
}

out_has() {
	grep -Eq -- "$2" "$TMP/$1.out" || {
		echo "$1: no /$2/ in:" >&2
		cat "$TMP/$1.out" >&2
		return 1
	}
}
