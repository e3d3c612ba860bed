#!/bin/sh
# The lab stand-ins (tests/lab/standin/k8sw-lab-standin) without a cluster: the
# flag and field lists they carry are tests/reference's; the strategic merge
# patch, selectors and scheduling rules the stand-in apiserver and
# controller-manager apply; and the kubelet and apiserver stand-ins failing at
# startup as the real ones do (unknown flag, missing or wrong config, swap on,
# no container runtime, missing files). tests/lab-standins.sh runs them for real.
. "$top_srcdir/tests/lib.sh"

standin="$top_srcdir/tests/lab/standin"
command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null ||
	{ echo "SKIP: python3 with PyYAML is needed (apt-get install python3-yaml)"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl is needed"; exit 77; }

check "the embedded reference lists are tests/reference's" python3 "$standin/embed-reference" --check
for c in kubelet kube-apiserver kube-controller-manager kube-scheduler; do
	# A link in the tree, a hard link in the tarball: the same program either way.
	check "$c is the multi-call stand-in" cmp -s "$standin/$c" "$standin/k8sw-lab-standin"
done

# The pure functions, imported from the program.
cat >"$TMP/units.py" <<'EOF'
import importlib.machinery, importlib.util, os, sys, tempfile
sys.dont_write_bytecode = True  # no __pycache__ beside the program
loader = importlib.machinery.SourceFileLoader("standin", sys.argv[1])
spec = importlib.util.spec_from_loader("standin", loader)
m = importlib.util.module_from_spec(spec)
loader.exec_module(m)
failed = 0

def check(name, got, want):
    global failed
    if got == want:
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - %s\n  got:  %r\n  want: %r" % (name, got, want), file=sys.stderr)

dep = {"spec": {"template": {"spec": {"containers": [
    {"name": "a", "image": "i", "args": ["x", "y"],
     "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
     "ports": [{"containerPort": 80}, {"containerPort": 81}]},
    {"name": "b", "image": "j"}],
    "tolerations": [{"operator": "Exists"}],
    "volumes": [{"name": "v", "hostPath": {"path": "/a"}}]}}},
    "metadata": {"name": "d", "finalizers": ["f1", "f2"], "labels": {"l": "1", "k": "2"}}}
smp = lambda patch, kind="Deployment": m.smp_apply(dep, patch, kind)
c0 = lambda o: o["spec"]["template"]["spec"]["containers"][0]
r = smp({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
                                         "containers": [{"name": "a", "env": [{"name": "X", "value": "9"}]}]}}}})
check("smp: a container's env merges by name", c0(r)["env"], [{"name": "X", "value": "9"}, {"name": "Y", "value": "2"}])
check("smp: the other container is kept", r["spec"]["template"]["spec"]["containers"][1], {"name": "b", "image": "j"})
r = smp({"spec": {"template": {"spec": {"containers": [{"name": "a", "env": [{"$patch": "delete", "name": "Y"}]}]}}}})
check("smp: $patch delete removes a list item", c0(r)["env"], [{"name": "X", "value": "1"}])
r = smp({"spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["z"]}]}}}})
check("smp: a list without a strategy is replaced", c0(r)["args"], ["z"])
r = smp({"spec": {"template": {"spec": {"tolerations": [{"key": "k", "operator": "Exists"}]}}}})
check("smp: tolerations are replaced", r["spec"]["template"]["spec"]["tolerations"], [{"key": "k", "operator": "Exists"}])
r = smp({"spec": {"template": {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 82}]}]}}}})
check("smp: container ports merge by containerPort", [p["containerPort"] for p in c0(r)["ports"]], [80, 81, 82])
r = smp({"metadata": {"labels": {"k": None}}})
check("smp: null deletes a map key", r["metadata"]["labels"], {"l": "1"})
r = smp({"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}})
check("smp: $deleteFromPrimitiveList", r["metadata"]["finalizers"], ["f2"])
r = smp({"spec": {"template": {"spec": {"volumes": [{"$retainKeys": ["name", "emptyDir"], "name": "v", "emptyDir": {}}]}}}})
check("smp: $retainKeys drops the volume's old source", r["spec"]["template"]["spec"]["volumes"], [{"name": "v", "emptyDir": {}}])
r = smp({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}}})
check("smp: $setElementOrder reorders", [c["name"] for c in r["spec"]["template"]["spec"]["containers"]], ["b", "a"])
check("smp: the original is not modified", dep["metadata"]["labels"], {"l": "1", "k": "2"})
svc = {"spec": {"ports": [{"port": 53, "protocol": "UDP", "name": "dns"}, {"port": 9153, "name": "m"}]}}
r = m.smp_apply(svc, {"spec": {"ports": [{"port": 9153, "name": "metrics"}]}}, "Service")
check("smp: service ports merge by port", r["spec"]["ports"][1], {"port": 9153, "name": "metrics"})
check("merge patch (RFC 7386)", m.merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None, "d": 3}, "l": [2]}),
      {"a": {"c": 2, "d": 3}, "l": [2]})
check("json patch (RFC 6902)", m.json_patch({"a": [1, 2], "b": {"c": 1}},
      [{"op": "add", "path": "/a/-", "value": 3}, {"op": "remove", "path": "/b/c"}, {"op": "replace", "path": "/a/0", "value": 0}]),
      {"a": [0, 2, 3], "b": {}})
try:
    m.json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])
    check("json patch: a failed test is an error", "no error", "error")
except m.PatchError:
    check("json patch: a failed test is an error", "error", "error")

sel = m.parse_label_selector("app=x,tier!=db,env in (a,b),!legacy,k")
check("label selector matches", m.labels_match(sel, {"app": "x", "env": "a", "k": ""}), True)
check("label selector: notin / ! / exists", [m.labels_match(sel, l) for l in (
    {"app": "x", "env": "c", "k": ""}, {"app": "x", "env": "a", "k": "", "legacy": "1"},
    {"app": "x", "env": "a"}, {"app": "x", "env": "a", "k": "", "tier": "db"})], [False, False, False, False])
check("field selector", [m.fields_match("spec.nodeName=n1", {"spec": {"nodeName": n}}) for n in ("n1", "n2")], [True, False])

node = {"metadata": {"name": "n1", "labels": {"kubernetes.io/os": "linux"}},
        "spec": {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]}}
check("node_fits: a not-ready taint keeps deployments off", m.node_fits(node, {"nodeSelector": {"kubernetes.io/os": "linux"}}), False)
check("node_fits: daemon set pods tolerate it", m.node_fits(node, {"nodeSelector": {"kubernetes.io/os": "linux"}}, daemon=True), True)
check("node_fits: nodeSelector", m.node_fits(node, {"nodeSelector": {"kubernetes.io/arch": "arm64"}}, daemon=True), False)
check("node_fits: an Exists toleration", m.node_fits(node, {"tolerations": [{"operator": "Exists"}]}), True)

res = m.Res("apps", "v1", "deployments", "Deployment", True)
bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labelz": {}},
       "spce": {}, "spec": {"template": {"spec": {"containers": [{"name": "a", "imagee": "x"}], "hostnetwork": True}}}}
check("strict validation names the unknown fields", sorted(m.strict_errors(res, bad)), sorted([
    'unknown field "spce"', 'unknown field "metadata.labelz"', 'unknown field "spec.template.spec.hostnetwork"',
    'unknown field "spec.template.spec.containers[0].imagee"']))
check("strict validation: a valid deployment", m.strict_errors(res, dep), [])
_, dups = m.load_json_strict(b'{"a": 1, "a": 2}')
check("duplicate fields are found", dups, ['duplicate field "a"'])

check("validate_pod: a mount of a missing volume", m.validate_pod({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
      "spec": {"containers": [{"name": "c", "image": "i", "volumeMounts": [{"name": "x", "mountPath": "/x"}]}]}}),
      'spec.containers[0].volumeMounts[0].name: Not found: "x"')
check("expand_vars", m.expand_vars("--n=$(NODE) $$(NODE) $(NONE)", {"NODE": "n1"}), "--n=n1 $(NODE) $(NONE)")

d = tempfile.mkdtemp()
m.ROOT = d
name = m.install_cni({"CNI_NETWORK_CONFIG": '{"name": "k8s", "mtu": __CNI_MTU__, "node": "__KUBERNETES_NODE_NAME__", "plugins": [{"type": "calico"}]}',
                      "CNI_CONF_NAME": "10-calico.conflist"}, "node1")
check("install_cni writes the conflist, placeholders filled", open(os.path.join(d, "etc/cni/net.d", name)).read(),
      '{"name": "k8s", "mtu": 1500, "node": "node1", "plugins": [{"type": "calico"}]}\n')
check("cni_config finds it", m.cni_config(), "10-calico.conflist")
try:
    m.install_cni({"CNI_NETWORK_CONFIG": '{"mtu": __NOPE__'}, "node1")
    check("install_cni refuses invalid JSON", "written", "refused")
except m.ContainerFailure:
    check("install_cni refuses invalid JSON", "refused", "refused")

# How a static pod's container runs here: on the host's own programs, through its mounts.
import shutil
k = m.Kubelet(m.Flags(), dict(m.KUBELET_CONFIG_DEFAULTS))
def argv(spec):
    p = m.Pod({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}, "file:/p.yaml", "n1", "x")
    try:
        a = k.container_argv(p, p.containers[0], {})
        return [w.replace(d, "ROOT") for w in a[0][1:]]
    except m.ContainerFailure as f:
        return (f.state, f.reason)
etcd = {"name": "c", "image": "quay.io/coreos/etcd:v3.5.15", "command": ["etcd", "--data-dir", "/var/lib/etcd",
        "--cert-file=/etc/ssl/etcd/peer.pem"],
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/etcd"}, {"name": "ssl", "mountPath": "/etc/ssl/etcd"}]}
vols = [{"name": "data", "hostPath": {"path": "/data/etcd"}}, {"name": "ssl", "hostPath": {"path": "/etc/etcdssl"}}]
check("a pod without hostNetwork waits for a pod network", argv({"containers": [etcd], "volumes": vols}),
      ("waiting", "ContainerCreating"))
check("an image that cannot run here waits", argv({"hostNetwork": True, "containers": [
      {"name": "c", "image": "registry.k8s.io/coredns/coredns:v1.11.1", "args": ["-conf", "/etc/coredns/Corefile"]}]}),
      ("waiting", "StandinCannotRun"))
if shutil.which("etcd"):
    got = argv({"hostNetwork": True, "containers": [etcd], "volumes": vols})
    check("etcd runs with its paths mapped through the mounts", got[:3],
          ["--data-dir", "ROOT/data/etcd", "--cert-file=ROOT/etc/etcdssl/peer.pem"])
    bad = dict(etcd, volumeMounts=etcd["volumeMounts"][:1])
    check("a path outside every mount fails the container", argv({"hostNetwork": True, "containers": [bad], "volumes": vols}),
          ("exited", "Error"))
    ro = dict(etcd, volumeMounts=[dict(etcd["volumeMounts"][0], readOnly=True), etcd["volumeMounts"][1]])
    check("a data directory mounted read-only fails it", argv({"hostNetwork": True, "containers": [ro], "volumes": vols}),
          ("exited", "Error"))
    check("a hostPath of type Directory must exist", argv({"hostNetwork": True, "containers": [etcd], "volumes": [
          vols[0], {"name": "ssl", "hostPath": {"path": "/nowhere", "type": "Directory"}}]}), ("waiting", "ContainerCreating"))

# Every pod's sandbox reads the kubelet's resolvConf, as the real one does.
def sandbox(path):
    kd = m.Kubelet(m.Flags(), dict(m.KUBELET_CONFIG_DEFAULTS, resolvConf=path))
    try:
        kd.pod_dns()
        return "created"
    except m.ContainerFailure as f:
        return (f.state, f.reason, f.message)
os.makedirs(d + "/etc/kubernetes", exist_ok=True)
with open(d + "/etc/kubernetes/resolv.conf", "w") as rc:
    rc.write("nameserver 10.0.0.2\n")
check("a readable resolvConf: the sandbox is made", sandbox("/etc/kubernetes/resolv.conf"), "created")
check("an unreadable resolvConf: the sandbox is not made", sandbox("/nowhere/resolv.conf"),
      ("waiting", "ContainerCreating", "Failed to create pod sandbox: open /nowhere/resolv.conf: "
       "no such file or directory"))
check("resolvConf \"\": no host DNS settings, nothing read", sandbox(""), "created")
sys.exit(1 if failed else 0)
EOF
check "the stand-in's functions" python3 "$TMP/units.py" "$standin/k8sw-lab-standin"

# kubelet_fails NAME EXPECTED ARGS...: the kubelet stand-in exits 1, saying EXPECTED.
kubelet_fails() {
	_name=$1 _want=$2
	shift 2
	K8SW_LAB_ROOT="$TMP/root" timeout 30 "$standin/kubelet" "$@" >"$TMP/out" 2>&1
	_rc=$?
	if [ "$_rc" -eq 1 ] && grep -q "not the real kubelet" "$TMP/out" && grep -qF -- "$_want" "$TMP/out"; then
		echo "ok - kubelet: $_name"
	else
		echo "not ok - kubelet: $_name (exit $_rc)" >&2
		cat "$TMP/out" >&2
		failures=$((failures + 1))
	fi
}
mkdir -p "$TMP/root/etc/kubernetes" "$TMP/root/run/containerd" "$TMP/root/proc"
cat >"$TMP/root/etc/kubernetes/kubeletConfig" <<'EOF'
kind: KubeletConfiguration
apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
staticPodPath: /etc/kubernetes/staticPods
EOF
cfg=--config=/etc/kubernetes/kubeletConfig
kubelet_fails "an unknown flag" "unknown flag: --bogus" $cfg --bogus=1
kubelet_fails "a flag without its value" "flag needs an argument: --cert-dir" $cfg --cert-dir
kubelet_fails "a missing config" "failed to read kubelet config file \"/etc/kubernetes/none\"" --config=/etc/kubernetes/none
sed 's/^kind: .*/kind: KubeProxyConfiguration/' "$TMP/root/etc/kubernetes/kubeletConfig" >"$TMP/root/etc/kubernetes/wrong"
kubelet_fails "a config of the wrong kind" 'no kind "KubeProxyConfiguration" is registered' --config=/etc/kubernetes/wrong
printf 'port: "10250"\n' | cat "$TMP/root/etc/kubernetes/kubeletConfig" - >"$TMP/root/etc/kubernetes/typed"
kubelet_fails "a field of the wrong type" "KubeletConfiguration.port of type int32" --config=/etc/kubernetes/typed
sed 's/mode: AlwaysAllow/mode: Webhook/' "$TMP/root/etc/kubernetes/kubeletConfig" >"$TMP/root/etc/kubernetes/webhook"
kubelet_fails "webhook authorization without a kubeconfig" "cannot use webhook authorization" --config=/etc/kubernetes/webhook
printf 'Filename\tType\tSize\tUsed\tPriority\n/swapfile\tfile\t1024\t0\t-2\n' >"$TMP/root/proc/swaps"
kubelet_fails "swap on" "running with swap on is not supported" $cfg
printf 'Filename\tType\tSize\tUsed\tPriority\n' >"$TMP/root/proc/swaps"
kubelet_fails "no container runtime" "validate CRI v1 runtime API for endpoint" $cfg
# Something that is not a CRI server on the runtime's socket.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); c.recv(100); c.close(); time.sleep(2)' "$TMP/root/run/containerd/containerd.sock" &
fake=$!
sleep 0.5
kubelet_fails "a runtime socket that is not CRI" "validate CRI v1 runtime API" $cfg
wait $fake
kubelet_fails "a bootstrap kubeconfig that is missing" "unable to load bootstrap kubeconfig" $cfg \
	--kubeconfig=/etc/kubernetes/kubelet.kubeconfig --bootstrap-kubeconfig=/etc/kubernetes/none

# The apiserver, controller-manager and scheduler stand-ins refuse what the real ones refuse.
component_fails() {
	_c=$1 _name=$2 _want=$3
	shift 3
	timeout 30 "$standin/$_c" "$@" >"$TMP/out" 2>&1
	_rc=$?
	if [ "$_rc" -eq 1 ] && grep -q "not the real $_c" "$TMP/out" && grep -qF -- "$_want" "$TMP/out"; then
		echo "ok - $_c: $_name"
	else
		echo "not ok - $_c: $_name (exit $_rc)" >&2
		cat "$TMP/out" >&2
		failures=$((failures + 1))
	fi
}
component_fails kube-apiserver "an unknown flag" "unknown flag: --etcd-server" --etcd-server=https://127.0.0.1:4001
component_fails kube-apiserver "a missing token file" "open $TMP/none: no such file or directory" \
	--token-auth-file="$TMP/none"
component_fails kube-apiserver "an unknown admission plugin" 'plugin "NodeRestrictions" is unknown' \
	--enable-admission-plugins=NodeRestrictions
component_fails kube-apiserver "a missing service-account key" "--service-account-key-file: open $TMP/sa.pub" \
	--service-account-key-file="$TMP/sa.pub"
echo "not a key" >"$TMP/sa.key"
component_fails kube-apiserver "a signing key that is not a key" "--service-account-signing-key-file: $TMP/sa.key" \
	--service-account-signing-key-file="$TMP/sa.key"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/a.key" -out "$TMP/a.crt" \
	-subj /CN=a -days 1 2>/dev/null && openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/b.key" 2>/dev/null
component_fails kube-apiserver "a proxy client certificate and a key that do not match" "failed to load the key pair" \
	--proxy-client-cert-file="$TMP/a.crt" --proxy-client-key-file="$TMP/b.key"
component_fails kube-apiserver "a kubelet client certificate without its key" "must be given together" \
	--kubelet-client-certificate="$TMP/a.crt"
component_fails kube-controller-manager "a service-account key that is not a key" \
	"--service-account-private-key-file: $TMP/sa.key" --service-account-private-key-file="$TMP/sa.key"
component_fails kube-controller-manager "a missing root CA" "--root-ca-file: open $TMP/none" --root-ca-file="$TMP/none"
component_fails kube-controller-manager "no kubeconfig" "no configuration has been provided"
component_fails kube-scheduler "a missing kubeconfig" "$TMP/none" --kubeconfig="$TMP/none"
component_fails kube-controller-manager "a missing delegated authentication kubeconfig" \
	"failed to get delegated authentication kubeconfig: $TMP/none" --authentication-kubeconfig="$TMP/none"
component_fails kube-scheduler "a missing delegated authorization kubeconfig" \
	"failed to get delegated authorization kubeconfig: $TMP/none" --authorization-kubeconfig="$TMP/none"
printf 'apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n' >"$TMP/sched.yaml"
component_fails kube-scheduler "a config of a version 1.29 no longer reads" \
	'registered for version \"kubescheduler.config.k8s.io/v1beta3\"' \
	--config="$TMP/sched.yaml"
printf 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nleaderElection:\n  leaderElection: true\n' >"$TMP/sched.yaml"
component_fails kube-scheduler "an unknown config field" 'unknown field \"leaderElection.leaderElection\"' \
	--config="$TMP/sched.yaml"
finish "standin-units"
