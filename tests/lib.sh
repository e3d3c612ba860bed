# Helpers for the shell tests. Each test sources this file.
set -u
: "${top_srcdir:?run through make check}"
: "${top_builddir:?run through make check}"
: "${K8SW:=$top_builddir/k8s-wizard}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/k8sw-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass() {
	echo "PASS: $*"
}

# check NAME COMMAND...: run a check, count a failure instead of stopping.
check() {
	_check_name=$1
	shift
	if "$@"; then
		echo "ok - $_check_name"
	else
		echo "not ok - $_check_name" >&2
		failures=$((failures + 1))
	fi
}

# lab_up SCRIPT ARGS...: start a lab (sh SCRIPT start ARGS prints its
# variables, or exits 77 when it cannot run here), or skip (77). Sets LAB to
# SCRIPT and what the lab printed (LAB_DIR...), HOME to an empty $TMP/home
# (no default keys, no known_hosts of the real user) and no SSH agent; the
# lab stops when the test exits. The labs' own helpers start with it.
lab_up() {
	LAB=$1
	shift
	sh "$LAB" start "$@" >"$TMP/lab.env" 2>"$TMP/lab.err"
	_rc=$?
	if [ "$_rc" = 77 ]; then
		cat "$TMP/lab.err"
		exit 77
	fi
	[ "$_rc" = 0 ] || fail "the lab did not start: $(tail -20 "$TMP/lab.err")"
	. "$TMP/lab.env"
	trap 'sh "$LAB" stop "$LAB_DIR" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
	unset SSH_AUTH_SOCK
	export HOME="$TMP/home"
	mkdir -p "$HOME"
}

# machines_lab HOST...: lab_up of the machines lab (tests/lab/machines.sh)
# with these hosts; also sets K8SW_STATE_DIR in $TMP, STATE (the cluster's
# state directory) and KUBECTL (the real 1.29 client).
machines_lab() {
	export K8SW
	lab_up "$top_srcdir/tests/lab/machines.sh" --dir "$TMP/lab" "$@"
	export K8SW_STATE_DIR="$TMP/state"
	STATE="$K8SW_STATE_DIR/kubernetes"
	KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.29
	[ -x "$KUBECTL" ] || KUBECTL=kubectl
}

# on HOST CMD...: run a command inside a host of the lab (not over SSH).
on() {
	_h=$1
	shift
	sh "$LAB" run "$LAB_DIR" "$_h" "$@"
}

finish() {
	[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
	pass "${1:-all checks}"
}

# placeholder_bundle DIR: a bundle of the test fixtures' manifests and, for
# the binaries, placeholders that fail if run: for runs that end before any
# upload.
placeholder_bundle() {
	mkdir -p "$1/bin"
	cp -r "$top_srcdir/tests/fixtures/bundle/manifests" "$1/"
	for _b in containerd containerd-shim-runc-v2 ctr runc crictl kubelet kubectl; do
		printf '#!/bin/sh\necho "placeholder of a test bundle, not %s" >&2\nexit 1\n' "$_b" \
			>"$1/bin/$_b"
	done
}
