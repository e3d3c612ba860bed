#!/bin/sh
# The PKI on a disk that fills up (issue 11, items 4 and 8): a CA's key and
# certificate are written as one unit, so at whatever point the space runs
# out no CA is left with a key and no certificate and no temporary file stays
# behind; the next run, with space again, completes the PKI. Each size is a
# fresh tmpfs in a private mount namespace (root and unshare(1) needed). A CA
# key found without its certificate (as a crash between the two renames, or
# an older version on a full disk, leaves it) is explained: what happened,
# whether anything was signed with it, and what to do.
. "$top_srcdir/tests/lib.sh"

"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"
sed -i -e 's/algorithm: rsa/algorithm: ecdsa/' -e 's/caKeySize: 4096/caKeySize: 256/' \
	-e 's/leafKeySize: 2048/leafKeySize: 256/' "$TMP/plan.yaml"

# refused STATE WHAT WANT...: pki list on STATE exits 1 saying each WANT.
refused() {
	state=$1 what=$2
	shift 2
	K8SW_STATE_DIR=$state "$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
	check "$what: exit 1" test $? = 1
	for want in "$@"; do
		check "$what: says '$want'" grep -q "$want" "$TMP/err"
	done
}
# works STATE WHAT: pki list on STATE exits 0.
works() {
	K8SW_STATE_DIR=$1 "$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>&1
	check "$2" test $? = 0
}

# A CA key alone, nothing signed with it: remove it and run again.
works "$TMP/whole" "a whole PKI"
pki=$TMP/orphan/kubernetes/pki
mkdir -p "$pki"
cp "$TMP/whole/kubernetes/pki/etcd-ca-key.pem" "$pki/"
refused "$TMP/orphan" "a key alone" \
	"the CA etcd-ca has a private key ($pki/etcd-ca-key.pem) but no certificate ($pki/etcd-ca.pem): a run stopped after writing the key and before writing the certificate" \
	"None of the certificates in $pki was signed by this key: remove $pki/etcd-ca-key.pem and run again"
rm "$pki/etcd-ca-key.pem"
works "$TMP/orphan" "a key alone: as told, removing it recovers"

# A CA certificate lost after it signed: the key must stay, the certificate
# come back.
pki=$TMP/whole/kubernetes/pki
mv "$pki/k8s-ca.pem" "$TMP/k8s-ca.pem"
refused "$TMP/whole" "a lost certificate" \
	"this key signed apiserver, controller-manager, kube-scheduler, admin: .*Restore $pki/k8s-ca.pem from a backup.*do not remove the key"
mv "$TMP/k8s-ca.pem" "$pki/k8s-ca.pem"
works "$TMP/whole" "a lost certificate: restored, the PKI is whole again"

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "# skipped the full disk: root and mount namespaces are needed"
	finish "a CA key without its certificate"
	exit 0
fi
mkdir "$TMP/fs"

# full SIZE: pki list on a tmpfs of SIZE kB; then what is on it, and the
# exit status and messages, in $TMP/full.*.
full() {
	unshare -m sh -c "mount -t tmpfs -o size=$1k tmpfs '$TMP/fs' || exit 99
		K8SW_STATE_DIR='$TMP/fs' '$K8SW' pki list -f '$TMP/plan.yaml' >/dev/null \
			2>'$TMP/full.err'
		echo \$? >'$TMP/full.rc'
		rm -rf '$TMP/last' && cp -a '$TMP/fs' '$TMP/last'
		cd '$TMP/fs/kubernetes/pki' 2>/dev/null && ls -A >'$TMP/full.ls' || : >'$TMP/full.ls'"
}

sizes_full=0
for size in 4 8 12 16 20 24 28 32 36 40; do
	full $size
	[ "$(cat "$TMP/full.rc")" = 0 ] && break
	sizes_full=$((sizes_full + 1))
	check "$size kB: says the disk is full" grep -q 'No space left on device' "$TMP/full.err"
	for ca in etcd-ca k8s-ca kubelet-ca agg-ca; do
		check "$size kB: $ca's key and certificate both or neither" test \
			"$(grep -cx "$ca-key.pem" "$TMP/full.ls")" = "$(grep -cx "$ca.pem" "$TMP/full.ls")"
	done
	check "$size kB: no temporary file left" sh -c "! grep -q '\.tmp\.' '$TMP/full.ls'"
	# What the full disk left, given room again, is completed.
	K8SW_STATE_DIR=$TMP/last "$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/next.err"
	check "$size kB: the next run, with room, completes the PKI" test $? = 0
done
check "the disk filled up at several points" test "$sizes_full" -ge 3
finish "PKI on a full disk"
