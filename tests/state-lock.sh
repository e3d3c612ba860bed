#!/bin/sh
# The state directory's lock (issue 11, item 4): every command that writes a
# cluster's state directory takes it first, so while another process holds
# it pki list, render and apply are refused and write nothing; four pki list
# runs started together on a new cluster leave one PKI whose CAs' keys belong
# to their certificates, and later runs accept it.
. "$top_srcdir/tests/lib.sh"

: "${K8SW_ASSETS_DIR:=$top_srcdir/assets}"
export K8SW_ASSETS_DIR
command -v flock >/dev/null || { echo "SKIP: flock(1) is needed (util-linux)"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl is needed"; exit 77; }

export K8SW_STATE_DIR="$TMP/state"
state=$K8SW_STATE_DIR/kubernetes
# ECDSA keys (quick), and loopback addresses: apply must never reach further.
"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"
sed -i -e 's/algorithm: rsa/algorithm: ecdsa/' -e 's/caKeySize: 4096/caKeySize: 256/' \
	-e 's/leafKeySize: 2048/leafKeySize: 256/' -e 's/10\.1\.1\./127.0.99./g' \
	-e "s|^  bundleDir: .*|  bundleDir: $top_srcdir/tests/fixtures/bundle|" "$TMP/plan.yaml"
"$K8SW" plan check -f "$TMP/plan.yaml" >/dev/null 2>&1 || fail "the test plan is not valid"

# Another process holds the lock (flock(1) writes no holder line).
mkdir -p "$state"
flock -x "$state/lock" sleep 60 &
holder=$!
i=0
until ! flock -xn "$state/lock" true 2>/dev/null || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done

refused() { # NAME: the run's exit status, message, and nothing written
	check "$1 while locked: exit 1" test "$rc" = 1
	check "$1 while locked: says why" grep -q "$state is in use by another run" "$TMP/err"
	check "$1 while locked: no PKI written" test ! -e "$state/pki"
}
"$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err"
rc=$?
refused "pki list"
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/out" >/dev/null 2>"$TMP/err"
rc=$?
refused render
check "render while locked: no output" test ! -e "$TMP/out"
"$K8SW" apply -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err" </dev/null
rc=$?
refused apply
check "apply while locked: no journal" test ! -e "$state/journal"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# Four runs at once on a new cluster: the ones refused say so, the PKI left
# is whole, and a later run reuses all of it.
export K8SW_STATE_DIR="$TMP/race"
pids=
for n in 1 2 3 4; do
	"$K8SW" pki list -f "$TMP/plan.yaml" >"$TMP/race$n.out" 2>"$TMP/race$n.err" &
	pids="$pids $!"
done
ok=0
n=0
for p in $pids; do
	n=$((n + 1))
	if wait "$p"; then
		ok=$((ok + 1))
	else
		check "race: run $n refused for the lock" grep -q 'is in use by another run' \
			"$TMP/race$n.err"
	fi
done
check "race: at least one run made the PKI" test "$ok" -ge 1
pki=$TMP/race/kubernetes/pki
for ca in etcd-ca k8s-ca kubelet-ca agg-ca; do
	check "race: $ca's key belongs to its certificate" test \
		"$(openssl x509 -in "$pki/$ca.pem" -noout -pubkey 2>&1)" = \
		"$(openssl pkey -in "$pki/$ca-key.pem" -pubout 2>&1)"
done
"$K8SW" pki list -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/after"
check "race: a later run accepts the PKI" test $? = 0
check "race: and reuses all of it" test ! -s "$TMP/after"
finish "state lock"
