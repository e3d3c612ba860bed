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

# The start of both Python scripts below: the program (their first argument)
# imported as m, and check().
cat >"$TMP/preamble.py" <<'EOF'
import importlib.machinery, importlib.util, sys
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

EOF

# The pure functions, imported from the program.
cp "$TMP/preamble.py" "$TMP/units.py"
cat >>"$TMP/units.py" <<'EOF'
import os, tempfile

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

# The cluster DNS stand-ins (kube-proxy's and CoreDNS's part on a worker), on
# the render's own manifests: when they answer, and what.
: "${K8SW_ASSETS_DIR:=$top_srcdir/assets}"
export K8SW_ASSETS_DIR K8SW_STATE_DIR="$TMP/state"
"$K8SW" plan init -o "$TMP/plan.yaml" >/dev/null || fail "plan init"
sed -i "s|^  bundleDir: .*|  bundleDir: $top_srcdir/tests/fixtures/bundle|" "$TMP/plan.yaml"
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/render" >"$TMP/render.log" 2>&1 || fail "render: $(cat "$TMP/render.log")"
cp "$TMP/preamble.py" "$TMP/dnsunits.py"
cat >>"$TMP/dnsunits.py" <<'EOF'
import copy, ipaddress, socket, struct, yaml

# The render's objects, and the plan's addresses (nothing taken on trust from the stand-in).
docs = [d for f in ("coredns.yaml", "kube-proxy.yaml") for d in yaml.safe_load_all(open(sys.argv[2] + "/" + f)) if d]
plan = yaml.safe_load(open(sys.argv[3]))["network"]
domain = plan["clusterDomain"]
dns_ip = plan["clusterDNS"]
first_ip = str(next(ipaddress.ip_network(plan["serviceCIDR"]).hosts()))
kind = lambda k: [d for d in docs if d["kind"] == k]
deploy, = kind("Deployment")
daemonset, = kind("DaemonSet")
dns_svc, = kind("Service")
cms = {(d["metadata"]["namespace"], d["metadata"]["name"]): d for d in kind("ConfigMap")}
configmap = lambda ns, name: cms.get((ns, name))
kubernetes = {"metadata": {"name": "kubernetes", "namespace": "default"},
              "spec": {"clusterIP": first_ip, "clusterIPs": [first_ip], "ports": [{"port": 443}]}}
services = [kubernetes, dns_svc]
records = m.service_records(services)
zones = [tuple(domain.split("."))]
check("the rendered kube-dns Service is at the plan's cluster DNS IP", dns_svc["spec"]["clusterIP"], dns_ip)

# The wire, written and read here, apart from the stand-in's own code.
def query(name, qtype=1, qid=0x4a4b, flags=0x0100, qdcount=1, qclass=1):
    wire = b"".join(bytes([len(x)]) + x.encode() for x in name.rstrip(".").split(".") if x) + b"\0"
    return struct.pack("!6H", qid, flags, qdcount, 0, 0, 0) + wire + struct.pack("!HH", qtype, qclass)

def read_name(msg, off):
    labels = []
    while msg[off]:
        if msg[off] >= 0xC0:
            return labels + read_name(msg, ((msg[off] & 0x3F) << 8) | msg[off + 1])[0], off + 2
        labels.append(msg[off + 1:off + 1 + msg[off]].decode())
        off += 1 + msg[off]
    return labels, off + 1

def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    off, question = 12, None
    for _ in range(qd):
        labels, off = read_name(msg, off)
        question = (".".join(labels),) + struct.unpack("!HH", msg[off:off + 4])
        off += 4
    rrs = []
    for _ in range(an + ns + ar):
        owner, off = read_name(msg, off)
        t, c, ttl, n = struct.unpack("!HHIH", msg[off:off + 10])
        rd = msg[off + 10:off + 10 + n]
        off += 10 + n
        rrs.append((".".join(owner), t, c, ttl, socket.inet_ntop(socket.AF_INET, rd) if t == 1 else rd))
    return {"id": qid, "qr": flags >> 15, "opcode": flags >> 11 & 15, "aa": flags >> 10 & 1, "rd": flags >> 8 & 1,
            "rcode": flags & 15, "question": question, "answer": rrs[:an], "authority": [r[:2] for r in rrs[an:an + ns]],
            "additional": rrs[an + ns:], "trailing": len(msg) - off}

def ask(name, qtype=1, **kw):
    return parse(m.dns_answer(query(name, qtype, **kw), zones, records, 7))

r = ask("kubernetes.default.svc." + domain)
check("A kubernetes.default.svc.DOMAIN: the first service IP, authoritative, TTL 5",
      (r["id"], r["qr"], r["aa"], r["rd"], r["rcode"], r["answer"], r["trailing"]),
      (0x4a4b, 1, 1, 1, 0, [("kubernetes.default.svc." + domain, 1, 1, 5, first_ip)], 0))
check("the question comes back as asked", r["question"], ("kubernetes.default.svc." + domain, 1, 1))
r = ask("KUBE-DNS.Kube-System.SVC." + domain.upper() + ".")
check("names match in any case, and the answer keeps the question's", (r["rcode"], r["answer"]),
      (0, [("KUBE-DNS.Kube-System.SVC." + domain.upper(), 1, 1, 5, dns_ip)]))
soa = [(domain, 6)]
r = ask("nope.default.svc." + domain)
check("an unknown service: NXDOMAIN with the zone's SOA", (r["rcode"], r["aa"], r["answer"], r["authority"]),
      (3, 1, [], soa))
check("an unknown namespace: NXDOMAIN", ask("nope.svc." + domain)["rcode"], 3)
check("a name beyond the service's: NXDOMAIN", ask("x.kubernetes.default.svc." + domain)["rcode"], 3)
r = ask("default.svc." + domain)
check("a namespace with services: NOERROR, no answer", (r["rcode"], r["answer"], r["authority"]), (0, [], soa))
r = ask("kubernetes.default.svc." + domain, qtype=28)
check("AAAA of an IPv4 service: NOERROR, no answer (NODATA)", (r["rcode"], r["answer"], r["authority"]), (0, [], soa))
r = ask(domain, qtype=6)
check("SOA of the domain", (r["rcode"], [a[:2] for a in r["answer"]]), (0, soa))
r = ask("example.com")
check("a name outside the domain: REFUSED, nothing forwarded",
      (r["rcode"], r["aa"], r["answer"], r["authority"], r["question"]), (5, 0, [], [], ("example.com", 1, 1)))
check("a name that ends like the domain is outside it", ask("x" + domain)["rcode"], 5)
check("a reverse name: REFUSED (no PTR records here)",
      ask(".".join(reversed(first_ip.split("."))) + ".in-addr.arpa", 12)["rcode"], 5)
check("class CH: REFUSED", ask("kubernetes.default.svc." + domain, qclass=3)["rcode"], 5)
check("opcode STATUS: NOTIMP", ask("kubernetes.default.svc." + domain, flags=2 << 11)["rcode"], 4)
check("two questions: FORMERR", ask("kubernetes.default.svc." + domain, qdcount=2)["rcode"], 1)
q = query("kubernetes.default.svc." + domain)
check("a question cut short: FORMERR", parse(m.dns_answer(q[:-3], zones, records))["rcode"], 1)
loop = struct.pack("!6H", 1, 0x100, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
check("a compression loop: FORMERR", parse(m.dns_answer(loop, zones, records))["rcode"], 1)
# The name goes on after the question (offset 12 + 11 + 2 + 4 = 29 = 0x1d).
ptr = q[:12] + b"\x0akubernetes\xc0\x1d" + struct.pack("!HH", 1, 1) + b"\x07default\x03svc" + \
    b"".join(bytes([len(x)]) + x.encode() for x in domain.split(".")) + b"\0"
r = parse(m.dns_answer(ptr, zones, records))
check("a compressed question is read", (r["rcode"], [a[4] for a in r["answer"]]), (0, [first_ip]))
check("less than a header: no answer", m.dns_answer(q[:11], zones, records), None)
check("a response: no answer", m.dns_answer(query("a." + domain, flags=0x8100), zones, records), None)
check("no zones (not serving): everything refused", parse(m.dns_answer(q, [], records))["rcode"], 5)

# The Corefile: where the kubernetes plugin answers.
corefile = cms[("kube-system", "coredns")]["data"]["Corefile"]
check("the rendered Corefile: its cluster domain on port 53, reverse zones left out",
      m.corefile_cluster_zones(corefile), {53: zones})
check("a Corefile: the server block's zone when the plugin names none",
      m.corefile_cluster_zones("# c\nexample.org:5353 {\n  kubernetes {\n    pods insecure\n  }\n  forward . 1.1.1.1\n}\n"),
      {5353: [("example", "org")]})
check("a Corefile without the kubernetes plugin: nothing", m.corefile_cluster_zones(".:53 {\n forward . 8.8.8.8\n}\n"), {})
for bad in (".:53 {\n kubernetes cluster.local {\n}\n", ".:53 {\n}\n}\n", "kubernetes cluster.local\n"):
    try:
        m.corefile_cluster_zones(bad)
        check("a broken Corefile is an error: %r" % bad, "parsed", "error")
    except m.CorefileError:
        check("a broken Corefile is an error: %r" % bad, "error", "error")

# kube-proxy's part: a pod of the DaemonSet bound to the node, with its config.
pod = {"metadata": {"name": "kp-x1", "namespace": daemonset["metadata"]["namespace"]},
       "spec": dict(copy.deepcopy(daemonset["spec"]["template"]["spec"]), nodeName="node1")}
check("the kube-proxy pod on the node runs", m.kube_proxy_pod([pod], configmap), (pod, None))
check("no pod on the node: none", m.kube_proxy_pod([], configmap)[0], None)
other = {"metadata": {"name": "o"}, "spec": {"containers": [{"name": "c", "command": ["/bin/kube-proxy-not"]}]}}
check("a pod that runs something else: none", m.kube_proxy_pod([other], configmap)[0], None)
_, why = m.kube_proxy_pod([pod], lambda ns, name: None)
check("without its ConfigMap it would not start", "configmap" in why and "not found" in why, True)
wrong = copy.deepcopy(cms)
for d in wrong.values():
    for k in d["data"]:
        d["data"][k] = d["data"][k].replace("kind: KubeProxyConfiguration", "kind: KubeletConfiguration")
check("with a config of the wrong kind it would not start",
      m.kube_proxy_pod([pod], lambda ns, name: wrong.get((ns, name)))[0], None)

# CoreDNS's part: an available Deployment behind a Service on the Corefile's port.
def available(d, n=1):
    d = copy.deepcopy(d)
    d["status"] = {"availableReplicas": n, "conditions": [{"type": "Available", "status": "True"}]}
    return d
want = {(dns_ip, 53, "udp"), (dns_ip, 53, "tcp")}
serve, why = m.coredns_backends([available(deploy)], services, configmap)
check("an available CoreDNS behind the rendered Service: its IP, UDP and TCP 53", set(serve), want)
check("answering for the Corefile's domain", {v[0][0] for v in serve.values()}, set(zones))
check("an unavailable one: nothing", m.coredns_backends([deploy], services, configmap)[0], {})
check("available with no replica: nothing", m.coredns_backends([available(deploy, 0)], services, configmap)[0], {})
check("no Service selecting its pods: nothing", m.coredns_backends([available(deploy)], [kubernetes], configmap)[0], {})
moved = copy.deepcopy(dns_svc)
for p in moved["spec"]["ports"]:
    p["targetPort"] = 5353
check("a Service whose ports miss the Corefile's: nothing",
      m.coredns_backends([available(deploy)], [kubernetes, moved], configmap)[0], {})
check("its Corefile's ConfigMap missing: nothing", m.coredns_backends([available(deploy)], services, lambda ns, n: None)[0], {})
other = copy.deepcopy(cms)
other[("kube-system", "coredns")]["data"]["Corefile"] = corefile.replace("kubernetes " + domain, "kubernetes example.org")
serve, _ = m.coredns_backends([available(deploy)], services, lambda ns, name: other.get((ns, name)))
check("the domain is the Corefile's", {z for v in serve.values() for z in v[0]}, {("example", "org")})
sys.exit(1 if failed else 0)
EOF
check "the cluster DNS stand-ins' functions" timeout 300 python3 "$TMP/dnsunits.py" "$standin/k8sw-lab-standin" \
	"$TMP/render/_cluster" "$TMP/plan.yaml"

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
