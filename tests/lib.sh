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
