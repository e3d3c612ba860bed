#!/bin/sh
# k8s-wizard pki list on the default plan (RSA 4096 CAs, RSA 2048 leaves, as
# the guide): the table, the files and their modes, and the certificates as
# the openssl command line (an independent verifier) sees them; then a second
# run, --temp, --state-dir, a bad plan and a plan the CAs do not fit.
. "$top_srcdir/tests/lib.sh"

K8SW_STATE_DIR=$TMP/state
export K8SW_STATE_DIR
pki=$K8SW_STATE_DIR/kubernetes/pki
"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"

"$K8SW" pki list -f "$TMP/plan.yaml" >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/err" >&2
[ "$rc" = 0 ] || fail "pki list exited $rc"

# row_is NAME REGEX: the table's line for NAME matches REGEX.
row_is() {
	grep "^$1 " "$TMP/out" | grep -q "$2"
}
subj=OU=System,O=dingding,L=Shenzhen,ST=GD,C=CN
check "says it created the PKI" grep -q "created the PKI in $pki" "$TMP/err"
check "a header and 13 certificates" test "$(wc -l <"$TMP/out")" = 14
check "header" grep -q \
	'^CERTIFICATE  *CA  *USAGES  *KEY  *EXPIRES  *RESIDUAL  *SUBJECT  *SANS$' "$TMP/out"
check "k8s-ca row" row_is k8s-ca "^k8s-ca  *-  *CA  *RSA 4096 .* 99y  *CN=kubernetes,$subj  *-\$"
check "admin row" row_is admin \
	'^admin  *k8s-ca  *client  *RSA 2048 .* 9y  *CN=admin,OU=system,O=system:masters,'
check "kubelet-client row" row_is kubelet-client \
	"^kubelet-client  *kubelet-ca  *client .* CN=kubeletadmin,$subj  *-\$"
check "etcd-peer row" row_is etcd-peer \
	'etcd-ca  *server,client .* IP:10.1.1.1,IP:10.1.1.2,IP:10.1.1.3,IP:127.0.0.1,DNS:localhost$'
sans=IP:127.0.0.1,IP:10.1.1.1,IP:10.1.1.2,IP:10.1.1.3,IP:10.1.1.10,IP:192.168.0.1
sans=$sans,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
sans=$sans,DNS:kubernetes.default.svc.cluster,DNS:kubernetes.default.svc.cluster.local
check "apiserver SANs" row_is apiserver " $sans\$"

# Files and modes.
mode_is() {
	test "$(stat -c %a "$1")" = "$2"
}
check "pki dir 0700" mode_is "$pki" 700
for n in etcd-ca k8s-ca kubelet-ca agg-ca kubelet-signing-ca etcd-peer apiserver \
	controller-manager kube-scheduler admin kubelet-client agg apiserver-etcd-client; do
	check "$n.pem 0644" mode_is "$pki/$n.pem" 644
	check "$n-key.pem 0600" mode_is "$pki/$n-key.pem" 600
done
check "sa.key 0600" mode_is "$pki/sa.key" 600
check "sa.pub 0644" mode_is "$pki/sa.pub" 644
check "bootstrap-token 0600" mode_is "$pki/bootstrap-token" 600

# What openssl makes of them.
cd "$pki" || fail "no $pki"
verifies() { # PURPOSE CA CERT
	openssl verify -x509_strict ${1:+-purpose "$1"} -CAfile "$2" "$3" >/dev/null 2>&1
}
refused() {
	! verifies "$@"
}
ext_is() { # CERT EXTENSION REGEX (on the extension's lines joined)
	openssl x509 -in "$1" -noout -ext "$2" | tr -d '\n' | grep -q "$3"
}
bits_are() { # KEY BITS
	openssl pkey -in "$1" -noout -text | head -1 | grep -q "($2 bit"
}
lives() { # CERT DAYS: valid at least DAYS more days
	openssl x509 -in "$1" -noout -checkend $(($2 * 86400)) >/dev/null
}
check "apiserver serves under k8s-ca" verifies sslserver k8s-ca.pem apiserver.pem
check "apiserver is no client" refused sslclient k8s-ca.pem apiserver.pem
check "apiserver not under etcd-ca" refused "" etcd-ca.pem apiserver.pem
for n in admin controller-manager kube-scheduler; do
	check "$n is a client under k8s-ca" verifies sslclient k8s-ca.pem $n.pem
done
for n in controller-manager kube-scheduler; do
	check "$n serves under k8s-ca" verifies sslserver k8s-ca.pem $n.pem
done
check "admin is no server" refused sslserver k8s-ca.pem admin.pem
check "etcd-peer serves" verifies sslserver etcd-ca.pem etcd-peer.pem
check "etcd-peer connects" verifies sslclient etcd-ca.pem etcd-peer.pem
check "kubelet-client under kubelet-ca" verifies sslclient kubelet-ca.pem kubelet-client.pem
check "agg under agg-ca" verifies sslclient agg-ca.pem agg.pem
check "agg not under k8s-ca" refused "" k8s-ca.pem agg.pem
check "apiserver-etcd-client connects to etcd" verifies sslclient etcd-ca.pem apiserver-etcd-client.pem
check "apiserver-etcd-client is no server" refused sslserver etcd-ca.pem apiserver-etcd-client.pem
check "apiserver-etcd-client row" row_is apiserver-etcd-client \
	"^apiserver-etcd-client  *etcd-ca  *client .* CN=kube-apiserver-etcd-client,$subj  *-\$"
check "kubelet-signing-ca row" row_is kubelet-signing-ca \
	"^kubelet-signing-ca  *-  *CA  *RSA 4096 .* CN=kubelet-signing-ca,$subj  *-\$"
for n in etcd-ca k8s-ca kubelet-ca agg-ca kubelet-signing-ca; do
	check "$n is RSA 4096" bits_are $n-key.pem 4096
	check "$n: CA:TRUE, critical" ext_is $n.pem basicConstraints 'critical *CA:TRUE'
	check "$n: signs certificates" ext_is $n.pem keyUsage 'critical.*Certificate Sign, CRL Sign'
	check "$n lives 100 years" lives $n.pem 36499
done
check "apiserver key is RSA 2048" bits_are apiserver-key.pem 2048
check "apiserver key matches" test "$(openssl x509 -in apiserver.pem -noout -pubkey)" = \
	"$(openssl pkey -in apiserver-key.pem -pubout)"
check "apiserver: CA:FALSE, critical" ext_is apiserver.pem basicConstraints 'critical *CA:FALSE'
check "apiserver key usage" ext_is apiserver.pem keyUsage \
	'critical *Digital Signature, Key Encipherment$'
check "apiserver extended key usage" ext_is apiserver.pem extendedKeyUsage \
	'Key Usage: *TLS Web Server Authentication$'
check "apiserver host name" sh -c "openssl x509 -in apiserver.pem -noout \
	-checkhost kubernetes.default.svc.cluster.local | grep -q 'does match'"
check "apiserver VIP" sh -c \
	"openssl x509 -in apiserver.pem -noout -checkip 10.1.1.10 | grep -q 'does match'"
check "apiserver: not a worker's address" sh -c \
	"openssl x509 -in apiserver.pem -noout -checkip 10.1.1.4 | grep -q 'does NOT match'"
check "leaves live 10 years" lives admin.pem 3649
check "leaves not 11" sh -c '! openssl x509 -in admin.pem -noout -checkend 315532800 >/dev/null'
check "admin subject" test "$(openssl x509 -in admin.pem -noout -subject -nameopt RFC2253)" = \
	"subject=CN=admin,OU=system,O=system:masters,L=Shenzhen,ST=GD,C=CN"
check "sa.pub is sa.key's" test "$(openssl pkey -in sa.key -pubout)" = "$(cat sa.pub)"
check "token: ID.SECRET, then when it was made" sh -c \
	"head -1 bootstrap-token | grep -qx '[a-z0-9]\{6\}\.[a-z0-9]\{16\}' &&
	sed -n 2p bootstrap-token | grep -qx '[0-9]\{10,\}' && [ \$(wc -l <bootstrap-token) = 2 ]"
# Go's x509 parser (through cfssl, when installed) reads them too.
if command -v cfssl >/dev/null 2>&1; then
	check "cfssl reads the apiserver SANs" sh -c \
		"cfssl certinfo -cert apiserver.pem | grep -q '\"kubernetes.default.svc.cluster.local\"'"
fi
cd "$TMP" || fail "cd"

# A second run reuses everything and says nothing.
sums() {
	(cd "$pki" && sha256sum *)
}
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
check "mismatched CA: says what" grep -q \
	'the CA etcd-ca cannot be used: its key is RSA 4096 but the plan asks for ECDSA P-256' \
	"$TMP/err3"
check "mismatched CA: nothing printed" test ! -s "$TMP/out3"
sums >"$TMP/sums3"
check "mismatched CA: nothing written" cmp -s "$TMP/sums1" "$TMP/sums3"

# --temp: a throw-away PKI, the state directory untouched (ECDSA: quick).
mkdir "$TMP/tmpdir"
TMPDIR=$TMP/tmpdir K8SW_STATE_DIR=$TMP/none "$K8SW" pki list --temp -f "$TMP/ec.yaml" \
	>"$TMP/out4" 2>"$TMP/err4"
check "--temp: exit 0" test $? = 0
check "--temp: 14 lines" test "$(wc -l <"$TMP/out4")" = 14
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
