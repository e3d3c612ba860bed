#!/bin/sh
# A real 3-member etcd cluster from a render: a plan whose masters are
# loopback addresses is rendered, each member's etcd static pod command line
# is taken from its rendered pod (only the certificate directory and the data
# directory are moved into this test's directory: the test cannot write
# /etc/etcdssl or /data), Debian's etcd runs it with the certificates rendered
# for that host, and etcdctl must find all three members healthy over mTLS.
# Every etcd started here is stopped, by its pid, when the test ends.
. "$top_srcdir/tests/lib.sh"

: "${K8SW_ASSETS_DIR:=$top_srcdir/assets}"
export K8SW_ASSETS_DIR
export K8SW_STATE_DIR="$TMP/state"
net=127.0.33
pids=

stop_etcd() {
	for pid in $pids; do
		kill "$pid" 2>/dev/null
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null
	done
	pids=
}
trap 'stop_etcd; rm -rf "$TMP"' EXIT

if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
	# Install them when we can (as root with apt); skip only when we cannot.
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client \
			>"$TMP/apt.log" 2>&1
	fi
	command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
		{ echo "SKIP: etcd and etcdctl are not installed and cannot be"; exit 77; }
fi
command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null ||
	{ echo "SKIP: python3 with PyYAML is needed (apt-get install python3-yaml)"; exit 77; }

cat >"$TMP/plan.yaml" <<EOF
apiVersion: k8s-wizard/v1
kind: ClusterPlan
name: loopback
hosts:
- {name: m1, address: $net.1, roles: [master, etcd]}
- {name: m2, address: $net.2, roles: [master, etcd]}
- {name: m3, address: $net.3, roles: [master, etcd]}
- {name: w1, address: $net.4, roles: [worker]}
network:
  apiserverVIP: $net.10
binaries:
  bundleDir: $top_srcdir/tests/fixtures/bundle
pki:
  algorithm: ecdsa
  caKeySize: 256
  leafKeySize: 256
addons:
  csrApprover:
    providerIPPrefixes: [$net.0/24]
EOF
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/out" >"$TMP/render.log" 2>&1 ||
	fail "render: $(cat "$TMP/render.log")"

# member HOST: the rendered etcd command line of HOST, one word per line, with
# /etc/etcdssl and the data directory moved under $TMP.
member() {
	python3 - "$TMP/out/$1/etc/kubernetes/staticPods/etcd.yaml" "$TMP/out/$1/etc/etcdssl" \
		"$TMP/data/$1" <<'EOF'
import sys, yaml
pod_path, ssl_dir, data_dir = sys.argv[1:4]
pod = yaml.safe_load(open(pod_path))
c = pod["spec"]["containers"][0]
data = {v["name"]: v["hostPath"]["path"] for v in pod["spec"]["volumes"]}
mounts = {m["mountPath"]: data[m["name"]] for m in c["volumeMounts"]}
words = c["command"] + c.get("args", [])
out = []
for i, w in enumerate(words):
    if i > 0 and words[i - 1] == "--data-dir":
        # The data directory, as mounted from the host.
        assert mounts.get(w) is not None, f"--data-dir {w} is not a volume"
        w = data_dir
    w = w.replace("/etc/etcdssl/", ssl_dir + "/")
    out.append(w)
print("\n".join(out))
EOF
}

endpoints=
for h in m1 m2 m3; do
	member "$h" >"$TMP/$h.args" || fail "cannot read $h's etcd pod"
	check "$h: etcd's command is etcd" test "$(head -n1 "$TMP/$h.args")" = etcd
	mkdir -p "$TMP/data/$h" && chmod 700 "$TMP/data/$h"
	addr=$(grep -A1 -x -- --listen-client-urls "$TMP/$h.args" | tail -n1)
	endpoints="$endpoints${endpoints:+,}$addr"
done
check "members listen on their own addresses" \
	test "$endpoints" = "https://$net.1:4001,https://$net.2:4001,https://$net.3:4001"
for port in 2380 4001; do
	for h in 1 2 3; do
		if ss -Hltn "( sport = :$port )" 2>/dev/null | grep -q "$net.$h:$port"; then
			fail "$net.$h:$port is already in use: another test is running?"
		fi
	done
done

for h in m1 m2 m3; do
	# The words of the rendered command line, unchanged but for the paths.
	set --
	while IFS= read -r w; do
		set -- "$@" "$w"
	done <"$TMP/$h.args"
	shift
	etcd "$@" >"$TMP/$h.log" 2>&1 &
	pids="$pids $!"
done

ssl="$TMP/out/m1/etc/etcdssl"
ctl() {
	ETCDCTL_API=3 etcdctl --cacert="$ssl/etcd-ca.pem" --cert="$ssl/etcd-peer.pem" \
		--key="$ssl/etcd-peer-key.pem" --endpoints="$endpoints" --dial-timeout=5s "$@"
}
# Wait for the cluster: a bound on how long, not a timing assertion.
healthy=0
for i in $(seq 1 120); do
	ctl endpoint health >"$TMP/health" 2>&1
	healthy=$(grep -c "is healthy" "$TMP/health")
	[ "$healthy" -eq 3 ] && break
	for pid in $pids; do
		kill -0 "$pid" 2>/dev/null || { cat "$TMP"/m*.log >&2; fail "an etcd exited"; }
	done
	sleep 1
done
cat "$TMP/health"
check "etcdctl endpoint health: all three members healthy over mTLS" test "$healthy" -eq 3
ctl member list >"$TMP/members" 2>&1
check "the cluster has the three rendered members" sh -c \
	"test \$(grep -c started '$TMP/members') -eq 3 && grep -q 'etcd1, https://$net.1:2380' '$TMP/members'"
ctl put k8s-wizard mtls >/dev/null 2>&1 && ctl get k8s-wizard >"$TMP/get" 2>&1
check "a value written is read back" grep -qx mtls "$TMP/get"
# Without a client certificate etcd refuses the client.
ETCDCTL_API=3 etcdctl --cacert="$ssl/etcd-ca.pem" --endpoints="https://$net.1:4001" \
	--dial-timeout=3s --command-timeout=5s get k8s-wizard >"$TMP/nocert" 2>&1
check "a client without a certificate is refused" test $? -ne 0
stop_etcd
finish "etcd-mtls"
