#!/bin/sh
# The lab stand-ins running a cluster, in a private network namespace: a plan
# whose hosts are 127.0.0.11-15 (VIP 127.0.0.10) is rendered; three masters
# and a worker get their rendered files under a root of their own
# (K8SW_LAB_ROOT), and a stand-in kubelet each, started with the rendered
# KUBELET_ARGS against a real containerd. The static pods run as they would:
# Debian's etcd as a 3-member cluster over mTLS, the apiserver,
# controller-manager and scheduler stand-ins; the real kubectl 1.29 applies
# every manifest of the render's _cluster and applies them again; the worker
# bootstraps its certificate and its node turns Ready only once calico's
# daemon set is applied. Negative checks: a pod that mounts too little fails,
# /readyz turns 500 when etcd is stopped, a foreign client certificate is
# refused, the node is NotReady without a CNI config.
#
# All the hosts share one network namespace, so the only change made to the
# rendered files is the address each host listens on (the kubelet's address
# and healthzBindAddress, --bind-address of the apiserver, controller-manager
# and scheduler, --hostname-override and --node-ip for the kubelet): on the
# lab each host has its own namespace and needs none.
# Needs root (network namespace), etcd, containerd, haproxy (the VIP), curl,
# openssl, python3-yaml and kubectl 1.29; installs the Debian packages it may.
if [ -z "${K8SW_STANDINS_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private network namespace)"; exit 77; }
	command -v unshare >/dev/null || { echo "SKIP: needs unshare (util-linux)"; exit 77; }
	K8SW_STANDINS_NETNS=1 exec unshare --net sh "$0" "$@"
fi
. "$top_srcdir/tests/lib.sh"

: "${K8SW_ASSETS_DIR:=$top_srcdir/assets}"
export K8SW_ASSETS_DIR
export K8SW_STATE_DIR="$TMP/state"
standin="$top_srcdir/tests/lab/standin"
pids=
hostpids=

cleanup() {
	rc=$?
	if [ "$rc" -ne 0 ] || [ "$failures" -ne 0 ]; then
		# What to look at: each host's kubelet and the last lines of its containers.
		for f in "$TMP"/h/*/kubelet.log "$TMP"/h/*/var/log/pods/*/*/*.log; do
			[ -f "$f" ] || continue
			echo "--- ${f#"$TMP"/}" >&2
			tail -n 15 "$f" | cut -c1-300 >&2
		done
	fi
	# The kubelets stop their containers on SIGTERM; then the rest.
	for p in $hostpids; do kill "$p" 2>/dev/null; done
	for p in $hostpids; do wait "$p" 2>/dev/null; done
	# Containers a kubelet failed to stop (their records name them): stopped here.
	python3 - "$TMP"/h/*/run/k8sw-lab/containers/*.json <<'EOF'
import json, os, signal, sys
for f in sys.argv[1:]:
    try:
        r = json.load(open(f))
        stat = open("/proc/%d/stat" % r["pid"]).read()
        if str(r.get("pid_start")) == stat.rsplit(")", 1)[1].split()[19]:
            os.kill(r["pid"], signal.SIGKILL)
            print("lab-standins: killed %s (pid %d), left running" % (r["name"], r["pid"]), file=sys.stderr)
    except (OSError, ValueError, KeyError, TypeError):
        pass
EOF
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -s "$TMP/haproxy.pid" ] && kill "$(cat "$TMP/haproxy.pid")" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

need=
for p in etcd:etcd-server containerd:containerd haproxy:haproxy curl:curl openssl:openssl; do
	command -v "${p%%:*}" >/dev/null || need="$need ${p#*:}"
done
python3 -c 'import yaml' 2>/dev/null || need="$need python3-yaml"
if [ -n "$need" ] && command -v apt-get >/dev/null; then
	. "$top_srcdir/tests/lab/apt.sh"
	# shellcheck disable=SC2086
	apt_install $need 2>"$TMP/apt.log" || true
fi
for c in etcd containerd haproxy curl openssl; do
	command -v "$c" >/dev/null || { echo "SKIP: $c is not installed and cannot be"; exit 77; }
done
kubectl=$(command -v kubectl.1.29 || echo /usr/lib/google-cloud-sdk/bin/kubectl.1.29)
[ -x "$kubectl" ] || { echo "SKIP: kubectl 1.29 (kubectl.1.29 of the Debian package kubectl) is needed"; exit 77; }
ip link set lo up || fail "cannot bring up lo in the private network namespace"

# The plan: the default one, its addresses on loopback.
"$K8SW" plan init -o "$TMP/plan.yaml" >/dev/null || fail "plan init"
sed -i -e "s|^  bundleDir: .*|  bundleDir: $top_srcdir/tests/fixtures/bundle|" \
	-e 's/10\.1\.1\.10$/127.0.0.10/' -e 's/10\.1\.1\.\([1-9]\)$/127.0.0.1\1/' -e 's|10\.1\.1\.0/24|127.0.0.0/24|' \
	"$TMP/plan.yaml"
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/out" >"$TMP/render.log" 2>&1 || fail "render: $(cat "$TMP/render.log")"
if grep -rq '10\.1\.1\.' "$TMP/out"; then
	fail "the render still has a 10.1.1.x address: this test only uses loopback"
fi

# A private containerd: the runtime every kubelet checks (CRI v1) at its socket.
mkdir -p "$TMP/ctd"
cat >"$TMP/ctd/config.toml" <<EOF
version = 2
root = "$TMP/ctd/root"
state = "$TMP/ctd/state"
[grpc]
  address = "$TMP/ctd/containerd.sock"
[ttrpc]
  address = "$TMP/ctd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$TMP/ctd/opt"
EOF
containerd --config "$TMP/ctd/config.toml" >"$TMP/ctd/log" 2>&1 &
pids="$pids $!"

# The VIP: haproxy in front of the three apiservers, as the lab's endpoint.
cat >"$TMP/haproxy.cfg" <<EOF
global
    maxconn 256
defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
frontend vip
    bind 127.0.0.10:7443
    default_backend apiservers
backend apiservers
    option tcp-check
    server m1 127.0.0.11:7443 check inter 1s
    server m2 127.0.0.12:7443 check inter 1s
    server m3 127.0.0.13:7443 check inter 1s
EOF
haproxy -f "$TMP/haproxy.cfg" -D -p "$TMP/haproxy.pid" || fail "haproxy"

# bind_to ROOT IP: the host at ROOT listens on IP (kubelet and its healthz, the
# apiserver, controller-manager and scheduler), whatever the render says.
bind_to() {
	python3 - "$1" "$2" <<'EOF'
import os, sys, yaml
root, ip = sys.argv[1:3]
path = root + "/etc/kubernetes/kubeletConfig"
cfg = yaml.safe_load(open(path))
cfg.update(address=ip, healthzBindAddress=ip)
yaml.safe_dump(cfg, open(path, "w"), default_flow_style=False)
for pod in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
    path = "%s/staged/%s.yaml" % (root, pod)
    if not os.path.exists(path):
        continue
    doc = yaml.safe_load(open(path))
    c = doc["spec"]["containers"][0]
    words = [w for w in c.get("args") or [] if not str(w).startswith("--bind-address")]
    c["args"] = words + ["--bind-address=" + ip]
    yaml.safe_dump(doc, open(path, "w"), default_flow_style=False)
EOF
}

# Each host: its rendered files under its root, what the engine's steps create.
i=1
for h in master1 master2 master3 node1; do
	ip=127.0.0.1$i
	i=$((i + 1))
	r="$TMP/h/$h"
	mkdir -p "$r/run/containerd" "$r/var/lib/kubelet" "$r/var/log/kubernetes" "$r/staged"
	cp -a "$TMP/out/$h/etc" "$r/"
	ln -s "$TMP/ctd/containerd.sock" "$r/run/containerd/containerd.sock"
	# The kubelet's resolvConf, linked by its step (this machine's resolv.conf).
	ln -s /etc/resolv.conf "$r/etc/kubernetes/resolv.conf"
	sed -i "s/^KUBELET_ARGS=\"/&--hostname-override=$h --node-ip=$ip /" "$r/etc/kubernetes/kubelet"
	if [ -d "$r/etc/kubernetes/staticPods" ]; then
		mv "$r/etc/kubernetes/staticPods/"* "$r/staged/"
		mkdir -p "$r/data/etcd" && chmod 700 "$r/data/etcd"
	fi
	bind_to "$r" "$ip" || fail "cannot set $h's addresses"
done

# start_kubelet HOST: the stand-in, started as systemd starts it (the env file's KUBELET_ARGS).
start_kubelet() {
	(
		# shellcheck disable=SC1090
		. "$TMP/h/$1/etc/kubernetes/kubelet"
		# shellcheck disable=SC2086
		K8SW_LAB_ROOT="$TMP/h/$1" exec "$standin/kubelet" $KUBELET_ARGS
	) >>"$TMP/h/$1/kubelet.log" 2>&1 &
	eval "kubelet_$1=$!"
	hostpids="$hostpids $!"
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds (a bound, not a timing check).
wait_for() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
		_n=$((_n - 1))
	done
	return 1
}

# place HOST POD: put a staged static pod where the kubelet reads them (the engine's upload).
place() {
	cp "$TMP/h/$1/staged/$2.yaml" "$TMP/h/$1/etc/kubernetes/staticPods/.$2.tmp" &&
		mv "$TMP/h/$1/etc/kubernetes/staticPods/.$2.tmp" "$TMP/h/$1/etc/kubernetes/staticPods/$2.yaml"
}

# record HOST CONTAINER FIELD: a field of the newest container record (the crictl stand-in's input).
record() {
	python3 - "$TMP/h/$1/run/k8sw-lab/containers" "$2" "$3" <<'EOF'
import glob, json, os, sys
recs = [json.load(open(f)) for f in glob.glob(os.path.join(sys.argv[1], "*.json"))]
recs = sorted((r for r in recs if r["name"] == sys.argv[2]), key=lambda r: (r["created"] or "", r["attempt"]))
print(recs[-1][sys.argv[3]] if recs else "")
EOF
}

pki="$K8SW_STATE_DIR/kubernetes/pki"
ssl="$TMP/h/master1/etc/etcdssl"
admin="$TMP/h/master1/etc/kubernetes/admin.kubeconfig"
etcd_health() {
	curl -sf --max-time 5 --cacert "$ssl/etcd-ca.pem" --cert "$ssl/etcd-peer.pem" --key "$ssl/etcd-peer-key.pem" \
		"https://$1:4001/health" | grep -q '"health":"true"'
}
etcd_all() { etcd_health 127.0.0.11 && etcd_health 127.0.0.12 && etcd_health 127.0.0.13; }
api() {
	curl -s --max-time 10 --cacert "$pki/k8s-ca.pem" --cert "$pki/admin.pem" --key "$pki/admin-key.pem" "$@"
}
code() { api -o /dev/null -w '%{http_code}' "$@"; }
kctl() { HOME="$TMP/home" "$kubectl" --kubeconfig="$admin" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
ok_at() { curl -sf --max-time 5 "$@" | grep -qx ok; }
kubelets_healthy() {
	ok_at http://127.0.0.11:10248/healthz && ok_at http://127.0.0.12:10248/healthz &&
		ok_at http://127.0.0.13:10248/healthz
}
readyz_all() {
	for a in 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.10; do
		ok_at --cacert "$pki/k8s-ca.pem" --cert "$pki/admin.pem" --key "$pki/admin-key.pem" \
			"https://$a:7443/readyz" || return 1
	done
}
jpath() { kctl "$@" 2>/dev/null; }
node_ip_is() { test "$(jpath get node node1 -o jsonpath='{.status.addresses[0].address}')" = "$1"; }
node_ready() { test "$(jpath get node node1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = "$1"; }
ds_ready() {
	test "$(jpath -n kube-system get ds "$1" -o jsonpath='{.status.numberReady}/{.status.desiredNumberScheduled}')" = 1/1
}
deploys_available() {
	test "$(jpath -n kube-system get deploy \
		-o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Available")].status}{" "}{end}')" = \
		'True True True True '
}
apiservice_available() {
	test "$(jpath get apiservice v1beta1.metrics.k8s.io \
		-o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" = True
}
etcd_down_seen() {
	test "$(code https://127.0.0.11:7443/readyz)" = 500 &&
		api https://127.0.0.11:7443/readyz | grep -q '^\[-\]etcd failed'
}

# --- the masters' kubelets and etcd ----------------------------------------------
for h in master1 master2 master3; do start_kubelet "$h"; done
check "the masters' kubelets answer healthz" wait_for 30 kubelets_healthy
check "the kubelet says it is a stand-in" grep -q "k8s-wizard lab stand-in for kubelet (not the real kubelet)" \
	"$TMP/h/master1/kubelet.log"
check "the masters' kubelet API refuses the anonymous (as rendered)" test "$(curl -sk -o /dev/null \
	-w '%{http_code}' https://127.0.0.11:10250/healthz)" = 401
check "and answers the apiserver's kubelet client certificate" ok_at -k --cert "$pki/kubelet-client.pem" \
	--key "$pki/kubelet-client-key.pem" https://127.0.0.11:10250/healthz
for h in master1 master2 master3; do place "$h" etcd; done
check "etcd from the static pods: three members healthy over mTLS" wait_for 60 etcd_all
check "etcd refuses a client without a certificate" sh -c \
	"! curl -sf --max-time 5 --cacert '$ssl/etcd-ca.pem' https://127.0.0.11:4001/health"
check "the container record says running" test "$(record master1 etcd-container state)" = running
log=$(record master1 etcd-container log)
check "the container's output is in its log" grep -q ' stderr F .*etcd' "$TMP/h/master1$log"

# A pod that mounts too little: master3's etcd without its certificate volume.
python3 - "$TMP/h/master3/staged/etcd.yaml" "$TMP/h/master3/etcd-nossl.yaml" <<'EOF'
import sys, yaml
pod = yaml.safe_load(open(sys.argv[1]))
c = pod["spec"]["containers"][0]
c["volumeMounts"] = [m for m in c["volumeMounts"] if m["mountPath"] != "/etc/etcdssl"]
yaml.safe_dump(pod, open(sys.argv[2], "w"))
EOF
cp "$TMP/h/master3/etcd-nossl.yaml" "$TMP/h/master3/etc/kubernetes/staticPods/etcd.yaml"
check "a pod that mounts too little fails, saying why" wait_for 20 grep -q \
	'Container "etcd-container" of pod "default/etcd-server3-master3" failed: etcd: /etc/etcdssl/' \
	"$TMP/h/master3/kubelet.log"
check "its record: exited with code 1" \
	test "$(record master3 etcd-container state) $(record master3 etcd-container exit_code)" = "exited 1"
check "etcd on master3 does not answer" sh -c "! curl -s --max-time 3 -k https://127.0.0.13:4001/health"
place master3 etcd
check "master3's etcd is back with its mounts" wait_for 60 etcd_all

# --- the apiservers ------------------------------------------------------------------
for h in master1 master2 master3; do place "$h" kube-apiserver; done
check "every apiserver's /readyz (and the VIP's) over mTLS with the admin certificate" wait_for 60 readyz_all
check "the apiserver says it is a stand-in" sh -c \
	"grep -q 'not the real kube-apiserver' '$TMP'/h/master1/var/log/pods/*kube-apiserver*/kube-apiserver/0.log"
check "openssl s_client: the serving certificate verifies with the cluster CA" sh -c \
	"echo | openssl s_client -connect 127.0.0.11:7443 -CAfile '$pki/k8s-ca.pem' -verify_return_error \
		-cert '$pki/admin.pem' -key '$pki/admin-key.pem' 2>&1 | grep -q 'Verify return code: 0 (ok)'"
check "a client certificate of another CA is refused" sh -c "! curl -sf --max-time 5 --cacert '$pki/k8s-ca.pem' \
	--cert '$pki/etcd-peer.pem' --key '$pki/etcd-peer-key.pem' https://127.0.0.11:7443/readyz"
check "anonymous users may not list nodes" test "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$pki/k8s-ca.pem" https://127.0.0.11:7443/api/v1/nodes)" = 403
api -X POST -H 'Content-Type: application/json' https://127.0.0.11:7443/api/v1/namespaces \
	-d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"probe"}}' >/dev/null
check "objects live in etcd: written through one apiserver, read through another" \
	test "$(code https://127.0.0.13:7443/api/v1/namespaces/probe)" = 200

# Bootstrap tokens (--enable-bootstrap-token-auth): a Secret in kube-system is a
# credential while it has not expired.
token_secret() {
	printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"bootstrap-token-%s","namespace":"kube-system"},' "$1"
	printf '"type":"bootstrap.kubernetes.io/token","stringData":{"token-id":"%s","token-secret":"%s",' "$1" "$2"
	printf '"usage-bootstrap-authentication":"true","expiration":"%s"}}' "$3"
}
whoami_as() {
	curl -s --max-time 5 --cacert "$pki/k8s-ca.pem" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		-X POST -d '{"apiVersion":"authentication.k8s.io/v1beta1","kind":"SelfSubjectReview"}' \
		https://127.0.0.12:7443/apis/authentication.k8s.io/v1beta1/selfsubjectreviews
}
for t in "abcdef 0123456789abcdef 2100-01-01T00:00:00Z" "bcdefa 0123456789abcdef 2000-01-01T00:00:00Z"; do
	# shellcheck disable=SC2086
	token_secret $t | api -X POST -H 'Content-Type: application/json' -d @- \
		https://127.0.0.11:7443/api/v1/namespaces/kube-system/secrets >/dev/null
done
check "a bootstrap token authenticates as system:bootstrap:ID" sh -c \
	"echo '$(whoami_as abcdef.0123456789abcdef)' | grep -q '\"username\": \"system:bootstrap:abcdef\"'"
check "a wrong secret does not" sh -c "echo '$(whoami_as abcdef.0123456789abcdeg)' | grep -q Unauthorized"
check "an expired token does not" sh -c "echo '$(whoami_as bcdefa.0123456789abcdef)' | grep -q Unauthorized"

# --- controller-manager and scheduler ------------------------------------------------
for h in master1 master2 master3; do place "$h" kube-controller-manager && place "$h" kube-scheduler; done
check "controller-manager /healthz (its serving certificate verifies)" wait_for 60 \
	ok_at --cacert "$pki/k8s-ca.pem" https://127.0.0.11:10257/healthz
check "scheduler /healthz" wait_for 60 ok_at -k https://127.0.0.12:10259/healthz
check "each took its lease" wait_for 30 kctl -n kube-system get lease kube-controller-manager kube-scheduler

# --- the worker: bootstrap, NotReady, then calico ---------------------------------------
kctl apply -f - <"$TMP/out/_cluster/bootstrap-token.yaml" >"$TMP/apply.log" 2>&1 ||
	fail "kubectl apply bootstrap-token.yaml: $(cat "$TMP/apply.log")"
kctl apply -f - <"$TMP/out/_cluster/rbac-bootstrap.yaml" >>"$TMP/apply.log" 2>&1 ||
	fail "kubectl apply rbac-bootstrap.yaml: $(cat "$TMP/apply.log")"
kctl apply -f - <"$TMP/out/_cluster/kube-proxy.yaml" >>"$TMP/apply.log" 2>&1 ||
	fail "kubectl apply kube-proxy.yaml: $(cat "$TMP/apply.log")"
start_kubelet node1
check "the worker bootstraps a client certificate from the bootstrap token Secret" wait_for 60 \
	test -s "$TMP/h/node1/etc/kubernetes/kubelet.kubeconfig"
cur="$TMP/h/node1/etc/kubernetes/pki/kubelet-client-current.pem"
check "its client certificate verifies with the kubelet signing CA" quiet openssl verify \
	-CAfile "$pki/kubelet-signing-ca.pem" "$cur"
check "which is in the apiserver's client CA bundle, and k8s-ca is not its issuer" sh -c "
	openssl verify -CAfile '$TMP/h/master1/etc/kubernetes/pki/k8s-ca-bundle.pem' '$cur' >/dev/null &&
	! openssl verify -CAfile '$pki/k8s-ca.pem' '$cur' >/dev/null 2>&1"
check "and is system:node:node1 in system:nodes" sh -c \
	"openssl x509 -noout -subject -in '$cur' | grep -q 'O = system:nodes, CN = system:node:node1'"
check "node1 is registered with its InternalIP" wait_for 30 node_ip_is 127.0.0.14
check "node1 is NotReady: no CNI config" wait_for 30 node_ready False
sleep 12
check "node1 stays NotReady without calico" node_ready False
check "and has no CNI config" test ! -e "$TMP/h/node1/etc/cni/net.d/10-calico.conflist"
check "kube-proxy's daemon set: node1 desired, not ready" test \
	"$(jpath -n kube-system get ds kube-proxy-ds-amd64 -o jsonpath='{.status.numberReady}/{.status.desiredNumberScheduled}')" = 0/1

# The cluster DNS Service IP on the worker: kube-proxy's part (the address on
# lo) and CoreDNS's (answers on it), done by node1's kubelet stand-in only
# while kube-proxy's pod is bound to it and CoreDNS's Deployment is available.
# The names and addresses come from the plan and the rendered manifests.
plan_value() {
	python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["network"][sys.argv[2]])' "$TMP/plan.yaml" "$1"
}
# object FILE KIND: "NAMESPACE NAME" of the first KIND object of a rendered manifest.
object() {
	python3 -c 'import sys, yaml
d = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == sys.argv[2])
print(d["metadata"].get("namespace", "default"), d["metadata"]["name"])' "$TMP/out/_cluster/$1" "$2"
}
dns_ip=$(plan_value clusterDNS)
domain=$(plan_value clusterDomain)
first_ip=$(python3 -c 'import ipaddress, sys; print(next(ipaddress.ip_network(sys.argv[1]).hosts()))' \
	"$(plan_value serviceCIDR)")
k8s_name=kubernetes.default.svc.$domain
dnsq() { python3 "$top_srcdir/tests/lab/dnsquery.py" --timeout 2 "$@"; }
not() { ! "$@"; }
on_lo() { ip -o addr show dev lo | grep -q " inet $dns_ip/32 .* lo:k8sw-dns"; }
# answers PROTO NAME EXPECTED [OPTION...]: the line dnsquery prints for NAME is EXPECTED.
answers() {
	_ap=$1 _aname=$2 _awant=$3
	shift 3
	test "$(dnsq "--$_ap" "$@" "$dns_ip" "$_aname" 2>&1)" = "$_aname $_awant"
}
resolves() { answers tcp "$k8s_name" "NOERROR aa A $first_ip"; }
check "no coredns applied: $dns_ip is not on node1's lo" not on_lo
check "no coredns applied: nothing answers on $dns_ip (TCP)" not dnsq --tcp "$dns_ip" "$k8s_name"
check "no coredns applied: nothing answers on $dns_ip (UDP)" not dnsq --udp "$dns_ip" "$k8s_name"
kctl apply -f - <"$TMP/out/_cluster/coredns.yaml" >>"$TMP/apply.log" 2>&1 ||
	fail "kubectl apply coredns.yaml: $(cat "$TMP/apply.log")"
coredns_available() {
	test "$(jpath -n kube-system get deploy coredns \
		-o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" = "$1"
}
check "coredns is not available without a Ready node" wait_for 20 coredns_available False
sleep 4 # two passes of node1's node agent
check "coredns applied, not available: $dns_ip is not on lo" not on_lo
check "coredns applied, not available: nothing answers" not dnsq --tcp "$dns_ip" "$k8s_name"
kctl apply -f - <"$TMP/out/_cluster/calico.yaml" >>"$TMP/apply.log" 2>&1 ||
	fail "kubectl apply calico.yaml: $(cat "$TMP/apply.log")"
check "calico's install-cni work: the conflist from the ConfigMap on node1" wait_for 30 \
	grep -q k8s-pod-network "$TMP/h/node1/etc/cni/net.d/10-calico.conflist"
check "node1 turns Ready" wait_for 40 node_ready True
check "calico-node is ready on the node" wait_for 30 ds_ready calico-node
check "coredns turns available" wait_for 30 coredns_available True
serving=$(kctl get csr \
	-o jsonpath='{range .items[?(@.spec.signerName=="kubernetes.io/kubelet-serving")]}{.metadata.name}{end}')
check "node1 asked for a serving certificate (serverTLSBootstrap)" test -n "$serving"
check "the engine's approval of it: kubectl certificate approve" quiet kctl certificate approve "$serving"
check "node1's kubelet API: its serving certificate under kubelet-signing-ca, the apiserver's client one" \
	wait_for 30 ok_at --cacert "$TMP/h/master1/etc/kubernetes/pki/kubelet-signing-ca.pem" \
	--cert "$pki/kubelet-client.pem" --key "$pki/kubelet-client-key.pem" https://127.0.0.14:10250/healthz
check "node1's kubelet API refuses the anonymous" test "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$pki/kubelet-signing-ca.pem" https://127.0.0.14:10250/pods)" = 401

# --- the cluster DNS Service IP on node1, now that coredns is available ------------
check "kube-proxy's part: $dns_ip on node1's lo once coredns is available" wait_for 15 on_lo
check "CoreDNS's part over TCP: $k8s_name is $first_ip" resolves
check "over UDP" answers udp "$k8s_name" "NOERROR aa A $first_ip"
# shellcheck disable=SC2046
set -- $(object coredns.yaml Service)
dns_svc=$2.$1.svc.$domain
check "$dns_svc: the cluster DNS IP" answers udp "$dns_svc" "NOERROR aa A $dns_ip"
check "two queries on one TCP connection, both answered in order" test \
	"$(dnsq --tcp "$dns_ip" "$k8s_name" "$dns_svc" | awk '{ print $1, $NF }' | paste -sd,)" = \
	"$k8s_name $first_ip,$dns_svc $dns_ip"
check "an unknown service: NXDOMAIN" answers tcp "nope.default.svc.$domain" "NXDOMAIN aa authority SOA"
check "a name outside the cluster domain: REFUSED, not forwarded" answers tcp "example.com" "REFUSED"
check "AAAA of an IPv4 service: no record" answers tcp "$k8s_name" "NOERROR aa authority SOA" --type AAAA
check "the kubelet says what it stands in for" grep -q \
	"k8s-wizard lab stand-in for CoreDNS (not the real CoreDNS): answering on $dns_ip:53/TCP, $dns_ip:53/UDP for $domain" \
	"$TMP/h/node1/kubelet.log"
if /usr/bin/python3 -c 'import dns.query' 2>/dev/null; then
	check "dnspython (another implementation) reads the answer" /usr/bin/python3 -c '
import sys, dns.message, dns.query, dns.rcode
r = dns.query.tcp(dns.message.make_query(sys.argv[2], "A"), sys.argv[1], timeout=3)
assert r.rcode() == 0 and [i.address for a in r.answer for i in a] == [sys.argv[3]], r' "$dns_ip" "$k8s_name" "$first_ip"
fi
# A Service created now is answered with the cluster IP the API allocated it.
kctl -n probe create service clusterip late --tcp=80 >/dev/null 2>&1 || fail "kubectl create service"
late_ip=$(jpath -n probe get service late -o jsonpath='{.spec.clusterIP}')
check "a new Service is answered with its allocated IP ($late_ip)" wait_for 10 \
	answers tcp "late.probe.svc.$domain" "NOERROR aa A $late_ip"

# shellcheck disable=SC2046
set -- $(object coredns.yaml Deployment)
kctl -n "$1" delete deployment "$2" >/dev/null 2>&1 || fail "kubectl delete deployment $2"
check "coredns's Deployment deleted: $dns_ip leaves lo" wait_for 15 not on_lo
check "and nothing answers on it" not dnsq --udp "$dns_ip" "$k8s_name"
kctl apply -f - <"$TMP/out/_cluster/coredns.yaml" >/dev/null 2>&1 || fail "kubectl apply coredns.yaml again"
check "coredns applied again: it answers again" wait_for 30 resolves

# A kubelet killed (SIGKILL) leaves the address; the next one takes it away
# when it is not wanted any more (coredns deleted meanwhile).
# shellcheck disable=SC2154 # set by start_kubelet
kill -KILL "$kubelet_node1"
wait "$kubelet_node1" 2>/dev/null
check "a killed kubelet leaves $dns_ip on lo" on_lo
kctl -n "$1" delete deployment "$2" >/dev/null 2>&1 || fail "kubectl delete deployment $2"
start_kubelet node1
check "its successor takes it away, coredns being gone" wait_for 20 not on_lo
kctl apply -f - <"$TMP/out/_cluster/coredns.yaml" >/dev/null 2>&1 || fail "kubectl apply coredns.yaml again"
check "and answers once coredns is back" wait_for 40 resolves

# shellcheck disable=SC2046
set -- $(object kube-proxy.yaml DaemonSet)
kctl -n "$1" delete daemonset "$2" >/dev/null 2>&1 || fail "kubectl delete daemonset $2"
check "kube-proxy's DaemonSet deleted: $dns_ip leaves lo" wait_for 15 not on_lo
check "and nothing answers on it" not dnsq --tcp "$dns_ip" "$k8s_name"
kctl apply -f - <"$TMP/out/_cluster/kube-proxy.yaml" >/dev/null 2>&1 || fail "kubectl apply kube-proxy.yaml again"
check "kube-proxy applied again: it answers again" wait_for 30 resolves

# --- every manifest, twice, and one changed -----------------------------------------
manifests=$(awk -F'\t' '!/^#/ { print $1 }' "$TMP/out/_cluster/MANIFEST")
applied=0
for m in $manifests; do
	kctl apply -f - <"$TMP/out/_cluster/$m" >>"$TMP/apply.log" 2>&1 ||
		fail "kubectl apply $m: $(tail -5 "$TMP/apply.log")"
	applied=$((applied + 1))
done
check "kubectl 1.29 applied every manifest of _cluster ($applied)" test "$applied" -ge 7
: >"$TMP/reapply.log"
for m in $manifests; do
	kctl apply -f - <"$TMP/out/_cluster/$m" >>"$TMP/reapply.log" 2>&1 ||
		fail "kubectl apply $m again: $(cat "$TMP/reapply.log")"
done
check "applied again, every object is unchanged" sh -c \
	"test -s '$TMP/reapply.log' && ! grep -v ' unchanged$' '$TMP/reapply.log'"
sed -e 's|172.18.0.0/16|10.244.0.0/16|' -e '/name: FELIX_HEALTHENABLED/,+1d' \
	"$TMP/out/_cluster/calico.yaml" >"$TMP/calico2.yaml"
kctl apply -f - <"$TMP/calico2.yaml" >"$TMP/apply2.log" 2>&1
check "a changed manifest: configured (strategic merge patch)" \
	grep -q "daemonset.apps/calico-node configured" "$TMP/apply2.log"
kctl -n kube-system get ds calico-node -o json >"$TMP/ds.json"
check "the patch changed the env it should, removed the one it should, kept the others" python3 -c "
import json, sys
c = json.load(open(sys.argv[1]))['spec']['template']['spec']['containers'][0]
env = {e['name']: e.get('value') for e in c['env']}
assert env['CALICO_IPV4POOL_CIDR'] == '10.244.0.0/16', env
assert 'FELIX_HEALTHENABLED' not in env and env['CALICO_IPV4POOL_IPIP'] == 'Always', env
" "$TMP/ds.json"
kctl apply -f - <"$TMP/out/_cluster/calico.yaml" >/dev/null 2>&1
check "the deployments are available (there is a Ready node)" wait_for 30 deploys_available
check "node-local-dns is ready on the worker" wait_for 30 ds_ready node-local-dns
# node-local-dns.yaml's Service for CoreDNS's pods (its upstream) is routed on
# the worker as kube-dns is: found by its selector, not by its name.
upstream=$(python3 -c 'import sys, yaml
dep = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Deployment")
labels = dep["spec"]["template"]["metadata"]["labels"]
for d in yaml.safe_load_all(open(sys.argv[2])):
    sel = d and d["kind"] == "Service" and d["spec"].get("selector")
    if sel and all(labels.get(k) == v for k, v in sel.items()):
        print(d["metadata"].get("namespace", "default"), d["metadata"]["name"])' \
	"$TMP/out/_cluster/coredns.yaml" "$TMP/out/_cluster/node-local-dns.yaml")
[ -n "$upstream" ] || fail "no Service of node-local-dns.yaml selects CoreDNS's pods"
# shellcheck disable=SC2086
set -- $upstream
up_ip=$(jpath -n "$1" get service "$2" -o jsonpath='{.spec.clusterIP}')
up_answers() { test "$(dnsq --udp "$up_ip" "$k8s_name" 2>&1)" = "$k8s_name NOERROR aa A $first_ip"; }
check "node-local-dns's upstream Service $2 ($up_ip) answers too" wait_for 10 up_answers
check "APIService v1beta1.metrics.k8s.io is Available" wait_for 30 apiservice_available

# --- etcd stopped: the apiserver is not ready -------------------------------------------
for h in master1 master2 master3; do mv "$TMP/h/$h/etc/kubernetes/staticPods/etcd.yaml" "$TMP/h/$h/"; done
check "/readyz turns 500 when etcd is stopped, naming the check" wait_for 60 etcd_down_seen
check "/healthz too" test "$(code https://127.0.0.12:7443/healthz)" = 500
for h in master1 master2 master3; do mv "$TMP/h/$h/etcd.yaml" "$TMP/h/$h/etc/kubernetes/staticPods/"; done
check "/readyz is ok again once etcd is back" wait_for 60 ok_at --cacert "$pki/k8s-ca.pem" \
	--cert "$pki/admin.pem" --key "$pki/admin-key.pem" https://127.0.0.11:7443/readyz

# --- systemctl stop kubelet: its containers stop --------------------------------------
etcd1=$(record master1 etcd-container pid)
# shellcheck disable=SC2154 # set by start_kubelet
kill "$kubelet_master1"
wait "$kubelet_master1"
check "a stopped kubelet stopped its containers" sh -c "! kill -0 $etcd1 2>/dev/null"
check "and recorded them exited" test "$(record master1 etcd-container state)" = exited
kill "$kubelet_node1"
wait "$kubelet_node1"
check "node1's kubelet stopped: $dns_ip is off lo" not on_lo
finish "lab-standins"
