#!/bin/sh
# The PKI on a disk that fills up (issue 11, items 4 and 8): a CA's key and
# certificate are written as one unit, so at whatever point the space runs
# out no CA is left with a key and no certificate and no temporary file stays
# behind; the next run, with space again, completes the PKI. Each size is a
# fresh tmpfs in a private mount namespace (root and unshare(1) needed).
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: root is needed to mount a small tmpfs"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: unshare(1) is needed"; exit 77; }
unshare -m true 2>/dev/null || { echo "SKIP: no mount namespaces here"; exit 77; }

"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"
sed -i -e 's/algorithm: rsa/algorithm: ecdsa/' -e 's/caKeySize: 4096/caKeySize: 256/' \
	-e 's/leafKeySize: 2048/leafKeySize: 256/' "$TMP/plan.yaml"
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
