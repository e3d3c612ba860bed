#!/bin/sh
# The state directory's owner and modes (issue 11, item 5), checked as
# OpenSSH's StrictModes checks ~/.ssh: a cluster directory that is a link to
# another user's world-writable directory holding a planted CA is refused,
# its files unread and nothing written there; so are a state directory, or a
# directory above it, that others can write, and a link on the way that
# another user owns. Each refusal says what to fix, and once it is fixed the
# command runs. The other user is nobody (root is needed to give it files).
. "$top_srcdir/tests/lib.sh"

: "${K8SW_ASSETS_DIR:=$top_srcdir/assets}"
export K8SW_ASSETS_DIR
[ "$(id -u)" = 0 ] || { echo "SKIP: root is needed to give files to another user"; exit 77; }
other=$(id -u nobody 2>/dev/null) || { echo "SKIP: no user nobody"; exit 77; }

# ECDSA keys (quick), and loopback addresses: apply must never reach further.
"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"
sed -i -e 's/algorithm: rsa/algorithm: ecdsa/' -e 's/caKeySize: 4096/caKeySize: 256/' \
	-e 's/leafKeySize: 2048/leafKeySize: 256/' -e 's/10\.1\.1\./127.0.99./g' \
	-e "s|^  bundleDir: .*|  bundleDir: $top_srcdir/tests/fixtures/bundle|" "$TMP/plan.yaml"
"$K8SW" plan check -f "$TMP/plan.yaml" >/dev/null 2>&1 || fail "the test plan is not valid"
chmod 0755 "$TMP"

# The other user's directory, world-writable, with a CA of theirs in it.
K8SW_STATE_DIR=$TMP/planted "$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>&1 ||
	fail "could not make the planted PKI"
rm -f "$TMP/planted/kubernetes/lock"
mv "$TMP/planted/kubernetes" "$TMP/theirs"
chown -R nobody "$TMP/theirs"
chmod 0777 "$TMP/theirs"
(cd "$TMP/theirs" && find . | sort) >"$TMP/theirs.before"
mkdir -m 0700 "$TMP/state"
ln -s "$TMP/theirs" "$TMP/state/kubernetes"
export K8SW_STATE_DIR="$TMP/state"

# refused NAME WANT: the last run exited 1 and said WANT; nothing was added
# to the other user's directory.
refused() {
	check "$1: exit 1" test "$rc" = 1
	check "$1: says what to fix" grep -q -- "$2" "$TMP/err"
	check "$1: nothing added to their directory" sh -c \
		"cd '$TMP/theirs' && find . | sort | cmp -s - '$TMP/theirs.before'"
}
"$K8SW" pki list -f "$TMP/plan.yaml" >"$TMP/out" 2>"$TMP/err"
rc=$?
refused "pki list into another user's directory" \
	"$TMP/theirs belongs to user $other, not to you (user 0): .*chown -R 0 $TMP/theirs"
check "pki list: their CA is not listed" test ! -s "$TMP/out"
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/out.d" >/dev/null 2>"$TMP/err"
rc=$?
refused "render into another user's directory" "belongs to user $other, not to you"
check "render: no output" test ! -e "$TMP/out.d"
"$K8SW" apply -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err" </dev/null
rc=$?
refused "apply into another user's directory" "belongs to user $other, not to you"

# A link on the way that another user owns (in a sticky directory, as /tmp).
rm "$TMP/state/kubernetes"
mkdir -m 1777 "$TMP/sticky"
ln -s "$TMP/state" "$TMP/sticky/state"
chown -h nobody "$TMP/sticky/state"
K8SW_STATE_DIR=$TMP/sticky/state "$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
rc=$?
refused "a link another user owns" \
	"$TMP/sticky/state is a symbolic link that belongs to user $other"

# Our own state directory, writable by others: refused until chmod go-w.
check "a link another user owns: nothing made through it" test ! -e "$TMP/state/kubernetes"
mkdir -m 0700 "$TMP/state/kubernetes"
chmod 0757 "$TMP/state/kubernetes"
"$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
rc=$?
refused "a world-writable state directory" \
	"$TMP/state/kubernetes can be written by others (mode 0757).*chmod go-w $TMP/state/kubernetes"
check "a world-writable state directory: no PKI" test ! -e "$TMP/state/kubernetes/pki"
chmod 0770 "$TMP/state/kubernetes"
"$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
rc=$?
refused "a group-writable state directory" "can be written by others (mode 0770)"
# The sticky bit that makes /tmp fine above it does not make it fine itself.
chmod 1777 "$TMP/state/kubernetes"
"$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
rc=$?
refused "a sticky world-writable state directory" "can be written by others (mode 1777)"
chmod 0700 "$TMP/state/kubernetes"

# A directory above it that others can write (no sticky bit): refused.
chmod 0777 "$TMP/state"
"$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
rc=$?
refused "a world-writable parent" "$TMP/state can be written by others (mode 0777)"
chmod go-w "$TMP/state"

# Fixed: it runs; a sticky world-writable directory above (as /tmp) is fine.
"$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
check "fixed: exit 0" test $? = 0
mkdir -m 0700 "$TMP/sticky/mine"
K8SW_STATE_DIR=$TMP/sticky/mine "$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
check "under a sticky directory: exit 0" test $? = 0
finish "state directory owner and modes"
