#!/bin/sh
# k8s-wizard render on the default plan (with the test bundle's stand-in
# manifests): the layout of the output, the golden comparison with the
# guide's files, the syntax, 1.29 names and consistency checks, a second
# render giving the same files, bad inputs, and proof that the checks fail
# on broken renders.
. "$top_srcdir/tests/lib.sh"

: "${K8SW_ASSETS_DIR:=$top_srcdir/assets}"
export K8SW_ASSETS_DIR
export K8SW_STATE_DIR="$TMP/state"
fixtures="$top_srcdir/tests/fixtures/bundle"
py() { python3 "$@"; }

command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null ||
	{ echo "SKIP: python3 with PyYAML is needed (apt-get install python3-yaml)"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl is needed"; exit 77; }

# plan_with BUNDLE OUT [SED...]: the default plan with bundleDir BUNDLE.
plan_with() {
	bundle=$1 out=$2
	shift 2
	"$K8SW" plan init -o "$out" --force || fail "plan init"
	sed -i "s|^  bundleDir: .*|  bundleDir: $bundle|" "$out"
	for expr in "$@"; do
		sed -i "$expr" "$out"
	done
}

check "render --help describes the output" sh -c "'$K8SW' render --help | grep -q 'DIR/HOST/MANIFEST'"
"$K8SW" render --bogus >/dev/null 2>&1
check "an unknown option: exit 2" test $? = 2

plan_with "$fixtures" "$TMP/plan.yaml"
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/out" >"$TMP/stdout" 2>"$TMP/stderr" ||
	fail "render of the default plan: $(cat "$TMP/stderr")"
check "render says what it wrote" grep -q "rendered [0-9]* files for 5 hosts into $TMP/out" "$TMP/stdout"
check "missing binaries are warnings" grep -q "bin/kubelet: No such file" "$TMP/stderr"

# Layout: every host, the cluster, MANIFEST and steps; the output is private.
for h in master1 master2 master3 node1 node2 _cluster; do
	check "$h has MANIFEST and steps" test -s "$TMP/out/$h/MANIFEST" -a -s "$TMP/out/$h/steps"
done
check "the output directory is 0700" test "$(stat -c %a "$TMP/out")" = 700
check "MANIFEST lists each written file" sh -c "
	cd '$TMP/out/node1' && grep -v '^#' MANIFEST | awk -F'\t' '\$5 == \"\" { print \$1 }' |
	while read -r p; do test -f \".\$p\" || exit 1; done"
check "MANIFEST sha256 matches the file" sh -c "
	cd '$TMP/out/master1' && line=\$(grep '^/etc/kubernetes/staticPods/etcd.yaml	' MANIFEST) &&
	test \"\$(echo \"\$line\" | cut -f4)\" = \"\$(sha256sum etc/kubernetes/staticPods/etcd.yaml | cut -d' ' -f1)\""
check "binaries are listed with their bundle source" \
	grep -q "^/usr/local/bin/kubelet	0755	root:root	-	bundle:$fixtures/bin/kubelet\$" "$TMP/out/node1/MANIFEST"
check "kubectl only on masters" sh -c "grep -q /usr/local/bin/kubectl '$TMP/out/master2/MANIFEST' &&
	! grep -q /usr/local/bin/kubectl '$TMP/out/node2/MANIFEST'"
check "workers have no static pods" test ! -e "$TMP/out/node1/etc/kubernetes/staticPods"
check "every phase of a master, in order" sh -c "grep '^## phase' '$TMP/out/master1/steps' | tr '\n' ' ' |
	grep -qx '## phase prepare ## phase containerd ## phase pki ## phase kubelet ## phase etcd ## phase apiserver ## phase controller-manager ## phase scheduler '"
check "every phase of a worker, in order" sh -c "grep '^## phase' '$TMP/out/node2/steps' | tr '\n' ' ' |
	grep -qx '## phase prepare ## phase containerd ## phase pki ## phase workers '"
check "cluster phases, in order" sh -c "grep '^## phase' '$TMP/out/_cluster/steps' | tr '\n' ' ' |
	grep -qx '## phase workers ## phase calico ## phase coredns ## phase nodelocaldns ## phase csr-approver ## phase metrics-server '"
check "plan values in steps are quoted" sh -c "grep -qx \"install -d -m 0700 '/data/etcd'\" '$TMP/out/master3/steps'"
check "each upload names a MANIFEST file" sh -c "
	for h in master1 node1; do
		grep '^# upload ' '$TMP/out/'\$h/steps | cut -d' ' -f3 | while read -r p; do
			grep -q \"^\$p	\" '$TMP/out/'\$h/MANIFEST || exit 1
		done || exit 1
	done"

# The guide's files, the syntax, the names, the consistency.
check "golden: the guide's files apart from doc/deviations.md" \
	py "$top_srcdir/tests/golden.py" "$top_srcdir/tests/golden/guide.yaml" \
	"$top_srcdir/tests/golden/guide" "$TMP/out" "$top_srcdir/doc/deviations.md"
check "every file parses, no placeholder left" py "$top_srcdir/tests/render_checks.py" syntax "$TMP/out"
check "every name is Kubernetes 1.29's" \
	py "$top_srcdir/tests/render_checks.py" names "$TMP/out" "$top_srcdir/tests/reference"
check "files, certificates and keys are consistent" \
	py "$top_srcdir/tests/render_checks.py" consistency "$TMP/out"
check "working and closed by default (issue 9)" \
	py "$top_srcdir/tests/render_checks.py" secure "$TMP/out"
check "nodes are known by their plan addresses" \
	py "$top_srcdir/tests/render_checks.py" addresses "$TMP/out"
check "the default endpoint is external: nothing for it on the hosts" \
	py "$top_srcdir/tests/render_checks.py" endpoint "$TMP/out" external
check "no NTP servers: time sync left alone" py "$top_srcdir/tests/render_checks.py" ntp "$TMP/out" -

# A second render reuses the PKI and writes the same files.
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/again" >/dev/null 2>&1 || fail "second render"
check "a second render is identical" diff -r "$TMP/out" "$TMP/again"

# Mirror mode: hosts fetch binaries, the URL quoted.
plan_with "$fixtures" "$TMP/mirror.yaml" 's|^  source: bundle|  source: mirror|' \
	's|^  mirrorURL: .*|  mirrorURL: https://mirror.example.com/k8s|'
grep -q '^  mirrorURL: https' "$TMP/mirror.yaml" || fail "could not set mirrorURL in the plan"
"$K8SW" render -f "$TMP/mirror.yaml" --out "$TMP/mirror" >/dev/null 2>&1 || fail "mirror render"
check "mirror: hosts fetch binaries with quoted URLs" grep -qx \
	"curl -fsSL --retry 3 -o '/usr/local/bin/kubelet.k8sw-new' 'https://mirror.example.com/k8s/bin/kubelet' && chmod 0755 '/usr/local/bin/kubelet.k8sw-new' && mv -f '/usr/local/bin/kubelet.k8sw-new' '/usr/local/bin/kubelet'" \
	"$TMP/mirror/node1/steps"
check "mirror: no upload of binaries" sh -c "! grep -q '^# upload /usr/local/bin' '$TMP/mirror/node1/steps'"

# NTP servers: systemd-timesyncd's drop-in on every host, applied in prepare.
plan_with "$fixtures" "$TMP/ntp.yaml" \
	's|^  ntpServers: \[\]|  ntpServers: [ntp.aliyun.com, "10.9.9.9", "fd00::123"]|'
grep -q '^  ntpServers: \[ntp' "$TMP/ntp.yaml" || fail "could not set ntpServers in the plan"
"$K8SW" render -f "$TMP/ntp.yaml" --out "$TMP/ntp" >"$TMP/ntp.log" 2>&1 || fail "NTP render: $(cat "$TMP/ntp.log")"
check "NTP: timesyncd configured on every host" \
	py "$top_srcdir/tests/render_checks.py" ntp "$TMP/ntp" "ntp.aliyun.com,10.9.9.9,fd00::123"
check "NTP: working and closed (timesyncd installed only when missing)" \
	py "$top_srcdir/tests/render_checks.py" secure "$TMP/ntp"

# An IPv6 plan: addresses in brackets where URLs need them, files that parse.
cat >"$TMP/v6.yaml" <<EOF
apiVersion: k8s-wizard/v1
kind: ClusterPlan
name: six
hosts:
- {name: m1, address: "fd00::1", roles: [master, etcd]}
- {name: node1, address: "fd00::4", roles: [worker]}
network:
  serviceCIDR: fd00:10::/108
  podCIDR: fd00:20::/64
  clusterDNS: "fd00:10::a"
  apiserverVIP: "fd00::1"
  calicoIPIPMode: Never
binaries:
  bundleDir: $fixtures
pki: {algorithm: ecdsa, caKeySize: 256, leafKeySize: 256}
addons:
  calico: {enabled: false}
  csrApprover: {providerIPPrefixes: ["fd00::/64"]}
EOF
"$K8SW" render -f "$TMP/v6.yaml" --out "$TMP/v6" >"$TMP/v6.log" 2>&1 || fail "IPv6 render: $(cat "$TMP/v6.log")"
check "IPv6: URLs with brackets" grep -qx -- "    - --etcd-servers=https://\\[fd00::1\\]:4001" \
	"$TMP/v6/m1/etc/kubernetes/staticPods/kube-apiserver.yaml"
check "IPv6: every file parses" py "$top_srcdir/tests/render_checks.py" syntax "$TMP/v6"
check "IPv6: names" py "$top_srcdir/tests/render_checks.py" names "$TMP/v6" "$top_srcdir/tests/reference"
check "IPv6: consistency" py "$top_srcdir/tests/render_checks.py" consistency "$TMP/v6"
check "IPv6: working and closed" py "$top_srcdir/tests/render_checks.py" secure "$TMP/v6"
check "IPv6: addresses" py "$top_srcdir/tests/render_checks.py" addresses "$TMP/v6"

# Bad input: exit 2, the cause named, nothing written.
bad() {
	what=$1 plan=$2 want=$3 dir="$TMP/bad-$(echo "$1" | tr -c 'a-z\n' -)"
	"$K8SW" render -f "$plan" --out "$dir" >"$TMP/bad.out" 2>&1
	rc=$?
	check "$what: exit 2" test "$rc" = 2
	check "$what: says '$want'" grep -q -- "$want" "$TMP/bad.out"
	check "$what: writes nothing" test ! -e "$dir"
}
mkdir "$TMP/empty-bundle"
plan_with "$TMP/empty-bundle" "$TMP/p1.yaml"
bad "no calico.yaml in the bundle" "$TMP/p1.yaml" "manifests/calico.yaml: No such file"
mkdir -p "$TMP/b2/manifests"
cp "$fixtures"/manifests/*.yaml "$TMP/b2/manifests/"
sed -i 's/name: calico-node$/name: calico-agent/' "$TMP/b2/manifests/calico.yaml"
plan_with "$TMP/b2" "$TMP/p2.yaml"
bad "calico.yaml of another shape" "$TMP/p2.yaml" "calico.yaml: no DaemonSet named calico-node"
plan_with "$fixtures" "$TMP/p3.yaml" 's|^  calico: v3.27.4|  calico: v3.28.0|'
bad "calico.yaml of another version" "$TMP/p3.yaml" "calico.yaml is Calico v3.27.4 but the plan says versions.calico: v3.28.0"
cp "$fixtures"/manifests/*.yaml "$TMP/b2/manifests/"
sed -i '/name: PROVIDER_REGEX/,+1d' "$TMP/b2/manifests/kubelet-csr-approver.yaml"
bad "csr-approver without PROVIDER_REGEX" "$TMP/p2.yaml" "has no env PROVIDER_REGEX"
sed '/calico: {enabled: false}/d' "$TMP/v6.yaml" >"$TMP/v6c.yaml"
bad "Calico with an IPv6 pod network" "$TMP/v6c.yaml" "an IPv6 podCIDR needs Calico's IPv6 pool settings"
plan_with "$fixtures" "$TMP/p4.yaml" 's|^  podCIDR: .*|  podCIDR: 192.168.0.0/24|'
bad "an invalid plan" "$TMP/p4.yaml" "network.podCIDR"
plan_with "$fixtures" "$TMP/p5.yaml" 's|^  ntpServers: \[\]|  ntpServers: ["ntp.aliyun.com;reboot"]|'
bad "an NTP server with a shell metacharacter" "$TMP/p5.yaml" "network.ntpServers\[0\]"
mkdir "$TMP/full" && : >"$TMP/full/x"
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/full" >"$TMP/bad.out" 2>&1
check "a non-empty output directory: exit 2" test $? = 2
check "a non-empty output directory is left alone" test "$(ls "$TMP/full")" = x
"$K8SW" render -f "$TMP/plan.yaml" >"$TMP/bad.out" 2>&1
check "no --out: exit 2" test $? = 2

# The checks fail on broken renders (so that their passing means something).
broken() {
	what=$1 check=$2
	shift 2
	rm -rf "$TMP/broken" && cp -a "$TMP/out" "$TMP/broken"
	(cd "$TMP/broken" && "$@") || fail "could not break the render for: $what"
	if py "$top_srcdir/tests/render_checks.py" "$check" "$TMP/broken" \
		"$top_srcdir/tests/reference" >"$TMP/broken.log" 2>&1; then
		echo "not ok - the $check check accepts a render with $what" >&2
		failures=$((failures + 1))
	else
		echo "ok - the $check check rejects a render with $what"
	fi
}
broken "a misspelt apiserver flag" names \
	sed -i 's/--service-account-issuer=/--service-account-issuers=/' master1/etc/kubernetes/staticPods/kube-apiserver.yaml
broken "a capitalised kubelet key" names sed -i 's/^runtimeRequestTimeout:/RuntimeRequestTimeout:/' node2/etc/kubernetes/kubeletConfig
broken "a deprecated containerd key" names sed -i 's/^enable_selinux = false/&\nsystemd_cgroup = false/' node1/etc/containerd/config.toml
broken "a placeholder left" syntax sed -i 's/^port: 10250/port: {{kubelet.port}}/' node1/etc/kubernetes/kubeletConfig
broken "YAML that does not parse" syntax sed -i 's/^kind: Pod/kind: [Pod/' master2/etc/kubernetes/staticPods/kube-scheduler.yaml
broken "a CA key on a worker" consistency sh -c \
	'cp master1/etc/kubernetes/pki/kubelet-signing-ca-key.pem node1/etc/kubernetes/pki/ && printf "/etc/kubernetes/pki/kubelet-signing-ca-key.pem\t0600\troot:root\t-\t\n" >> node1/MANIFEST'
broken "a file a pod names missing" consistency sed -i '/^\/etc\/kubernetes\/pki\/agg.pem	/d' master2/MANIFEST
broken "etcd trusting the wrong CA" consistency \
	cp master1/etc/kubernetes/pki/agg-ca.pem master1/etc/etcdssl/etcd-ca.pem
broken "a worker trusting the wrong kubelet CA" consistency \
	cp master1/etc/kubernetes/pki/agg-ca.pem node1/etc/kubernetes/pki/kubelet-ca.pem
broken "a key that is not its certificate's" consistency \
	cp master1/etc/kubernetes/pki/agg-key.pem master1/etc/kubernetes/pki/apiserver-key.pem
broken "a readable key" consistency chmod 0644 master3/etc/kubernetes/pki/sa.key
broken "a mount path its volume does not back" consistency \
	sed -i 's|      path: /etc/etcdssl|      path: /data/etcdssl|' master1/etc/kubernetes/staticPods/etcd.yaml
broken "kernel.threads-max set" secure sh -c 'echo kernel.threads-max=30058 >> node2/etc/sysctl.d/99-k8s-wizard.conf'
broken "a package installed" secure sed -i 's/^sysctl -p .*/&\napt-get update \&\& apt-get install -y ipvsadm/' node1/steps
broken "an eviction signal left out" secure sed -i '/^  imagefs.available:/d' master2/etc/kubernetes/kubeletConfig
broken "a kubelet unit with a start limit" secure sed -i '/^StartLimitIntervalSec=0/d' node1/etc/systemd/system/kubelet.service
broken "the guide's pause image" secure sed -i 's|^sandbox_image = .*|sandbox_image = "ccr.ccs.tencentyun.com/google_container/pause-amd64:3.1"|' node2/etc/containerd/config.toml
broken "a master kubelet on every address" secure sed -i '/^address: 127.0.0.1/d' master1/etc/kubernetes/kubeletConfig
broken "an anonymous kubelet" secure sed -i '/^  anonymous:/{n;s/false/true/}' master3/etc/kubernetes/kubeletConfig
broken "a read-only port" secure sed -i 's/^readOnlyPort: 0/readOnlyPort: 10255/' node2/etc/kubernetes/kubeletConfig
broken "RBAC alone" secure sed -i 's/--authorization-mode=Node,RBAC/--authorization-mode=RBAC/' master2/etc/kubernetes/staticPods/kube-apiserver.yaml
broken "the system:node binding" secure sh -c 'printf -- "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: system:node}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node}\nsubjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:nodes}\n" >> _cluster/rbac-bootstrap.yaml'
broken "a scheduler without delegated authorization" secure sed -i '/--authorization-kubeconfig/d' master1/etc/kubernetes/staticPods/kube-scheduler.yaml
broken "the scheduler's --kubeconfig" secure sed -i 's|--config=/etc/kubernetes/kube-scheduler-config.yaml|--kubeconfig=/etc/kubernetes/kube-scheduler.kubeconfig|' master1/etc/kubernetes/staticPods/kube-scheduler.yaml
broken "a scheduler config naming a missing kubeconfig" consistency sed -i 's|kube-scheduler.kubeconfig|kube-scheduler.conf|' master2/etc/kubernetes/kube-scheduler-config.yaml
broken "an unknown scheduler config field" names sed -i 's/^  leaderElect: true/&\n  leaderElection: true/' master3/etc/kubernetes/kube-scheduler-config.yaml
broken "k8s-ca's key on a master" secure sh -c \
	'cp master1/etc/kubernetes/pki/apiserver-key.pem master1/etc/kubernetes/pki/k8s-ca-key.pem && printf "/etc/kubernetes/pki/k8s-ca-key.pem\t0600\troot:root\t-\t\n" >> master1/MANIFEST'
broken "kubelets signed with the cluster's CA" secure sed -i 's|cluster-signing-kubelet-serving-cert-file=.*|cluster-signing-kubelet-serving-cert-file=/etc/kubernetes/pki/k8s-ca.pem|' master2/etc/kubernetes/staticPods/kube-controller-manager.yaml
broken "the apiserver on etcd's own certificate" secure sh -c \
	'cp master3/etc/etcdssl/etcd-peer.pem master3/etc/kubernetes/pki/apiserver-etcd-client.pem'
broken "kubelets not verified" secure sed -i '/--kubelet-certificate-authority/d' master1/etc/kubernetes/staticPods/kube-apiserver.yaml
broken "a pod that mounts /etc/kubernetes" secure sed -i 's|ath: /etc/kubernetes/kube-scheduler-config.yaml$|ath: /etc/kubernetes|' master1/etc/kubernetes/staticPods/kube-scheduler.yaml
broken "a token file" secure sed -i 's|^    - --enable-bootstrap-token-auth|&\n    - --token-auth-file=/etc/kubernetes/pki/token.csv|' master2/etc/kubernetes/staticPods/kube-apiserver.yaml
broken "a token that never expires" secure sed -i '/^  expiration:/d' _cluster/bootstrap-token.yaml
broken "a bootstrap kubeconfig kept" secure sed -i '/kubelet-bootstrap.kubeconfig$/d' node2/steps
broken "a bootstrap group without its binding" consistency sed -i 's/system:bootstrappers:kubelet-bootstrap$/system:bootstrappers:other/' _cluster/bootstrap-token.yaml
broken "the guide's NodePort range" secure sed -i 's/--service-node-port-range=.*/--service-node-port-range=1-65535/' master3/etc/kubernetes/staticPods/kube-apiserver.yaml
broken "a kubeletConfig resolvConf no step links" consistency \
	sed -i '/ln -sfn .* \/etc\/kubernetes\/resolv.conf$/d' node2/steps
broken "a worker without its --node-ip" addresses sed -i '/^--node-ip=/d' node1/etc/kubernetes/kubelet
broken "calico autodetecting the first interface" addresses \
	sed -i 's/value: kubernetes-internal-ip/value: first-found/' _cluster/calico.yaml
broken "an apiserver dialling kubelets by host name first" addresses \
	sed -i 's/address-types=InternalIP,ExternalIP,Hostname/address-types=Hostname,InternalIP/' \
	master2/etc/kubernetes/staticPods/kube-apiserver.yaml
broken "the CSR approver resolving node names" addresses sh -c \
	"sed -i '/name: BYPASS_DNS_RESOLUTION/{n;s/\"true\"/\"false\"/}' _cluster/kubelet-csr-approver.yaml"
broken "one CoreDNS replica" secure sed -i 's/^  replicas: 2$/  replicas: 1/' _cluster/coredns.yaml
broken "CoreDNS replicas free to share a node" secure \
	sed -i 's/topologyKey: kubernetes.io\/hostname/topologyKey: topology.kubernetes.io\/zone/' _cluster/coredns.yaml
rm -rf "$TMP/broken-ntp" && cp -a "$TMP/ntp" "$TMP/broken-ntp"
sed -i 's/^NTP=ntp.aliyun.com /NTP=/' "$TMP/broken-ntp/node2/etc/systemd/timesyncd.conf.d/k8s-wizard.conf"
check "the ntp check rejects a drop-in that lost a server" sh -c "! python3 \
	'$top_srcdir/tests/render_checks.py' ntp '$TMP/broken-ntp' ntp.aliyun.com,10.9.9.9,fd00::123 >/dev/null"
rm -rf "$TMP/broken-ntp" && cp -a "$TMP/ntp" "$TMP/broken-ntp"
sed -i '/^for u in chrony/d' "$TMP/broken-ntp/master1/steps"
check "the ntp check rejects timesyncd started beside another NTP service" sh -c "! python3 \
	'$top_srcdir/tests/render_checks.py' ntp '$TMP/broken-ntp' ntp.aliyun.com,10.9.9.9,fd00::123 >/dev/null"
check "the ntp check rejects timesyncd's drop-in where the plan names no servers" sh -c "! python3 \
	'$top_srcdir/tests/render_checks.py' ntp '$TMP/ntp' - >/dev/null"
rm -rf "$TMP/broken" && cp -a "$TMP/out" "$TMP/broken"
sed -i 's/^enforceNodeAllocatable: \["pods"\]/enforceNodeAllocatable: ["pods","kube-reserved"]/' \
	"$TMP/broken/node1/etc/kubernetes/kubeletConfig"
check "the golden comparison rejects an unlisted difference" sh -c "! python3 \
	'$top_srcdir/tests/golden.py' '$top_srcdir/tests/golden/guide.yaml' \
	'$top_srcdir/tests/golden/guide' '$TMP/broken' '$top_srcdir/doc/deviations.md' >/dev/null"
finish "render"
