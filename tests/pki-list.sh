#!/bin/sh
# k8s-wizard pki list on the default plan (RSA 4096 CAs, RSA 2048 leaves, as
# the guide): the table, the files and their modes, and the certificates as
# the openssl command line (an independent verifier) sees them; then a second
# run, --temp, a bad plan and a plan the CAs do not fit.
. "$top_srcdir/tests/lib.sh"

K8SW_STATE_DIR=$TMP/state
export K8SW_STATE_DIR
pki=$K8SW_STATE_DIR/kubernetes/pki
"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"

"$K8SW" pki list -f "$TMP/plan.yaml" >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/err" >&2
[ "$rc" = 0 ] || fail "pki list exited $rc"
check "says it created the PKI" grep -q "created the PKI in $pki" "$TMP/err"
check "a header and 11 certificates" test "$(wc -l <"$TMP/out")" = 12
check "header" grep -q '^CERTIFICATE  *CA  *USAGES  *KEY  *EXPIRES  *RESIDUAL  *SUBJECT  *SANS$' "$TMP/out"
row() { grep "^$1 " "$TMP/out"; }
check "CA row" sh -c "echo '$(row k8s-ca)' | grep -q '^k8s-ca  *-  *CA  *RSA 4096 .* 99y  *CN=kubernetes,OU=System,O=dingding,L=Shenzhen,ST=GD,C=CN  *-\$'"
check "admin row" sh -c "echo '$(row admin)' | grep -q '^admin  *k8s-ca  *client  *RSA 2048 .* 9y  *CN=admin,OU=system,O=system:masters,'"
check "apiserver SANs" sh -c "echo '$(row apiserver)' | grep -q 'IP:127.0.0.1,IP:10.1.1.1,IP:10.1.1.2,IP:10.1.1.3,IP:10.1.1.10,IP:192.168.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster,DNS:kubernetes.default.svc.cluster.local\$'"
check "kubelet-client row" sh -c "echo '$(row kubelet-client)' | grep -q '^kubelet-client  *kubelet-ca  *client .* CN=kubeletadmin,'"

# Files and modes.
mode() { stat -c %a "$1"; }
check "pki dir 0700" test "$(mode "$pki")" = 700
for n in etcd-ca k8s-ca kubelet-ca agg-ca etcd-peer apiserver controller-manager \
	kube-scheduler admin kubelet-client agg; do
	check "$n.pem 0644" test "$(mode "$pki/$n.pem")" = 644
	check "$n-key.pem 0600" test "$(mode "$pki/$n-key.pem")" = 600
done
check "sa.key 0600" test "$(mode "$pki/sa.key")" = 600
check "sa.pub 0644" test "$(mode "$pki/sa.pub")" = 644
check "bootstrap-token 0600" test "$(mode "$pki/bootstrap-token")" = 600

# What openssl makes of them.
cd "$pki" || fail "no $pki"
verify() { openssl verify -x509_strict "$@" >/dev/null 2>&1; }
check "apiserver verifies for TLS servers against k8s-ca" \
	verify -purpose sslserver -CAfile k8s-ca.pem apiserver.pem
check "apiserver is no client" sh -c '! openssl verify -purpose sslclient -CAfile k8s-ca.pem apiserver.pem >/dev/null 2>&1'
check "apiserver does not verify against etcd-ca" \
	sh -c '! openssl verify -CAfile etcd-ca.pem apiserver.pem >/dev/null 2>&1'
for n in admin controller-manager kube-scheduler; do
	check "$n verifies as a client against k8s-ca" verify -purpose sslclient -CAfile k8s-ca.pem $n.pem
done
check "admin is no server" sh -c '! openssl verify -purpose sslserver -CAfile k8s-ca.pem admin.pem >/dev/null 2>&1'
check "etcd-peer serves" verify -purpose sslserver -CAfile etcd-ca.pem etcd-peer.pem
check "etcd-peer connects" verify -purpose sslclient -CAfile etcd-ca.pem etcd-peer.pem
check "kubelet-client against kubelet-ca" verify -purpose sslclient -CAfile kubelet-ca.pem kubelet-client.pem
check "agg against agg-ca" verify -purpose sslclient -CAfile agg-ca.pem agg.pem
check "agg not against k8s-ca" sh -c '! openssl verify -CAfile k8s-ca.pem agg.pem >/dev/null 2>&1'
for n in etcd-ca k8s-ca kubelet-ca agg-ca; do
	check "$n is RSA 4096" sh -c "openssl pkey -in $n-key.pem -noout -text | head -1 | grep -q '4096 bit'"
	check "$n: CA:TRUE, critical" sh -c "openssl x509 -in $n.pem -noout -ext basicConstraints | tr -d '\n' | grep -q 'critical *CA:TRUE'"
	check "$n lives 100 years" sh -c "openssl x509 -in $n.pem -noout -checkend $((36499 * 86400)) >/dev/null"
done
check "apiserver key is RSA 2048" sh -c "openssl pkey -in apiserver-key.pem -noout -text | head -1 | grep -q '2048 bit'"
check "apiserver key matches" sh -c 'test "$(openssl x509 -in apiserver.pem -noout -pubkey)" = "$(openssl pkey -in apiserver-key.pem -pubout)"'
check "apiserver: CA:FALSE, critical" sh -c "openssl x509 -in apiserver.pem -noout -ext basicConstraints | tr -d '\n' | grep -q 'critical *CA:FALSE'"
check "apiserver key usage" sh -c "openssl x509 -in apiserver.pem -noout -ext keyUsage | tr -d '\n' | grep -q 'critical *Digital Signature, Key Encipherment\$'"
check "apiserver host name" sh -c "openssl x509 -in apiserver.pem -noout -checkhost kubernetes.default.svc.cluster.local | grep -q 'does match'"
check "apiserver VIP" sh -c "openssl x509 -in apiserver.pem -noout -checkip 10.1.1.10 | grep -q 'does match'"
check "apiserver: not a worker's address" sh -c "openssl x509 -in apiserver.pem -noout -checkip 10.1.1.4 | grep -q 'does NOT match'"
check "leaves live 10 years" sh -c "openssl x509 -in admin.pem -noout -checkend $((3649 * 86400)) >/dev/null"
check "leaves not 11" sh -c '! openssl x509 -in admin.pem -noout -checkend $((3651 * 86400)) >/dev/null'
check "admin subject" sh -c "openssl x509 -in admin.pem -noout -subject -nameopt RFC2253 | grep -qx 'subject=CN=admin,OU=system,O=system:masters,L=Shenzhen,ST=GD,C=CN'"
check "sa.pub is sa.key's" sh -c 'test "$(openssl pkey -in sa.key -pubout)" = "$(cat sa.pub)"'
check "token: 32 hex digits" grep -qx '[0-9a-f]\{32\}' bootstrap-token
# Go's x509 parser (through cfssl, when installed) reads them too.
if command -v cfssl >/dev/null 2>&1; then
	check "cfssl reads the apiserver SANs" sh -c "cfssl certinfo -cert apiserver.pem | grep -q '\"kubernetes.default.svc.cluster.local\"'"
fi
cd "$TMP" || fail "cd"

# A second run reuses everything and says nothing.
sums() { (cd "$pki" && sha256sum *); }
sums >"$TMP/sums1"
"$K8SW" pki list -f "$TMP/plan.yaml" >"$TMP/out2" 2>"$TMP/err2" || fail "second run"
check "second run quiet" test ! -s "$TMP/err2"
sums >"$TMP/sums2"
check "second run changes nothing" cmp -s "$TMP/sums1" "$TMP/sums2"
check "same table" cmp -s "$TMP/out" "$TMP/out2"

# A plan the CAs do not fit: refused, nothing written.
sed -e 's/algorithm: rsa/algorithm: ecdsa/' -e 's/caKeySize: 4096/caKeySize: 256/' \
	-e 's/leafKeySize: 2048/leafKeySize: 256/' "$TMP/plan.yaml" >"$TMP/ec.yaml"
"$K8SW" pki list -f "$TMP/ec.yaml" >"$TMP/out3" 2>"$TMP/err3"
check "mismatched CA: exit 1" test $? = 1
check "mismatched CA: says what" grep -q 'the CA etcd-ca cannot be used: its key is RSA 4096 but the plan asks for ECDSA P-256' "$TMP/err3"
check "mismatched CA: nothing printed" test ! -s "$TMP/out3"
sums >"$TMP/sums3"
check "mismatched CA: nothing written" cmp -s "$TMP/sums1" "$TMP/sums3"

# --temp: a throw-away PKI, the state directory untouched (ECDSA: quick).
mkdir "$TMP/tmpdir"
TMPDIR=$TMP/tmpdir K8SW_STATE_DIR=$TMP/none "$K8SW" pki list --temp -f "$TMP/ec.yaml" \
	>"$TMP/out4" 2>"$TMP/err4"
check "--temp: exit 0" test $? = 0
check "--temp: 12 lines" test "$(wc -l <"$TMP/out4")" = 12
check "--temp: ECDSA keys" grep -q '^apiserver .* ECDSA P-256 ' "$TMP/out4"
check "--temp: says so" grep -q 'throw-away' "$TMP/err4"
check "--temp: no state directory" test ! -e "$TMP/none"
check "--temp: temporary directory removed" test -z "$(ls -A "$TMP/tmpdir")"

# --state-dir DIR puts the PKI in DIR/pki.
"$K8SW" pki list --state-dir "$TMP/elsewhere" -f "$TMP/ec.yaml" >/dev/null 2>&1
check "--state-dir: exit 0" test $? = 0
check "--state-dir: DIR/pki" test -s "$TMP/elsewhere/pki/apiserver.pem"

# Bad usage and bad plans: exit 2, nothing created.
sed 's/caKeySize: 4096/caKeySize: 1000/' "$TMP/plan.yaml" >"$TMP/bad.yaml"
K8SW_STATE_DIR=$TMP/bad "$K8SW" pki list -f "$TMP/bad.yaml" >/dev/null 2>"$TMP/err5"
check "bad plan: exit 2" test $? = 2
check "bad plan: names the field" grep -q 'bad.yaml:[0-9]*:[0-9]*: pki.caKeySize: ' "$TMP/err5"
check "bad plan: no PKI" test ! -e "$TMP/bad"
"$K8SW" pki list >/dev/null 2>&1
check "no plan: exit 2" test $? = 2
"$K8SW" pki list -f "$TMP/plan.yaml" --temp --state-dir "$TMP/x" >/dev/null 2>&1
check "--temp with --state-dir: exit 2" test $? = 2
"$K8SW" pki list --help >"$TMP/help"
check "--help" grep -q -- '--temp' "$TMP/help"
finish "pki list"
