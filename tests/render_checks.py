#!/usr/bin/env python3
"""Checks of a `k8s-wizard render` output directory.

Usage: render_checks.py CHECK RENDER_DIR [REFERENCE_DIR]

  syntax       every YAML/TOML file parses; no template placeholder is left
  names        every flag of the static pods and of the kubelet, every key of
               the KubeletConfiguration, KubeProxyConfiguration and containerd's
               CRI config is a 1.29 name (tests/reference), none deprecated
  addresses    nodes are known by their plan addresses: the workers' --node-ip,
               the apiserver's kubelet address types, Calico's autodetection,
               the CSR approver's checks without DNS
  endpoint     with REFERENCE_DIR replaced by external, local or keepalived
               (network.apiserverEndpoint): haproxy and keepalived on the hosts
               of that mode, listening and forwarding where it says, every
               client's kubeconfig and the apiserver's bind address to match
  consistency  every file a static pod (through its hostPath volumes), the
               kubelet's environment file, unit, KubeletConfiguration or a
               kubeconfig names is in that host's render; every certificate
               verifies against the CA its consumer is told to trust; every
               key matches its certificate; keys are 0600; no CA key but
               k8s-ca's leaves the jump host, and workers get none

Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed."""

import base64
import glob
import ipaddress
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib

import yaml

failures = 0


def result(ok, what):
    global failures
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures += 1


def hosts(render):
    return sorted(d for d in os.listdir(render)
                  if os.path.isdir(f"{render}/{d}") and d != "_cluster")


def manifest(render, host):
    """path -> (mode, owner, sha256, source) of a host's MANIFEST."""
    entries = {}
    with open(f"{render}/{host}/MANIFEST") as f:
        for line in f:
            if line.startswith("#"):
                continue
            path, mode, owner, sha, source = line.rstrip("\n").split("\t")
            entries[path] = (mode, owner, sha, source)
    return entries


def load_yaml(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def steps(render, host):
    with open(f"{render}/{host}/steps") as f:
        return f.read()


def created_dirs(render, host):
    """Directories the host's steps create with install -d."""
    dirs = set()
    for line in steps(render, host).splitlines():
        if line.startswith("install -d"):
            words = shlex.split(line)[4:]
            dirs.update(words)
    return dirs


# ---------------------------------------------------------------- syntax

def containers_of(doc):
    """The containers of a Pod or of a workload's pod template."""
    if not isinstance(doc, dict) or not isinstance(doc.get("spec"), dict):
        return []
    spec = doc["spec"]
    if doc.get("kind") != "Pod":
        spec = spec.get("template", {}).get("spec", {})
    return spec.get("initContainers", []) + spec.get("containers", [])


def check_syntax(render):
    for path in sorted(glob.glob(f"{render}/**/*", recursive=True)):
        if not os.path.isfile(path) or os.path.basename(path) in ("MANIFEST", "steps"):
            continue
        rel = os.path.relpath(path, render)
        with open(path, "rb") as f:
            data = f.read()
        text = data.decode()
        result("{{" not in text and "}}" not in text, f"{rel}: no template placeholder left")
        if path.endswith((".yaml", ".kubeconfig")) or path.endswith("/kubeletConfig"):
            try:
                docs = [d for d in yaml.safe_load_all(text) if d is not None]
                result(len(docs) > 0, f"{rel}: YAML parses ({len(docs)} documents)")
            except yaml.YAMLError as e:
                result(False, f"{rel}: YAML does not parse: {e}")
                docs = []
            # Command lines are lists of strings (an item like --x=fd00:: would
            # read as a mapping).
            for d in docs:
                for c in containers_of(d):
                    items = c.get("command", []) + c.get("args", [])
                    bad = [i for i in items if not isinstance(i, str)]
                    if bad:
                        result(False, f"{rel}: container {c.get('name')}: items that are not "
                               f"strings: {bad}")
            # Configuration files held in ConfigMaps are YAML too.
            for d in docs:
                if not isinstance(d, dict) or d.get("kind") != "ConfigMap":
                    continue
                for key, value in d.get("data", {}).items():
                    if not key.endswith((".conf", ".yaml")):
                        continue
                    try:
                        inner = yaml.safe_load(value)
                        result(isinstance(inner, dict), f"{rel}: {key} is a YAML mapping")
                    except yaml.YAMLError as e:
                        result(False, f"{rel}: {key} does not parse: {e}")
        if path.endswith(".toml"):
            try:
                tomllib.loads(text)
                result(True, f"{rel}: TOML parses")
            except tomllib.TOMLDecodeError as e:
                result(False, f"{rel}: TOML does not parse: {e}")


# ---------------------------------------------------------------- names

def read_list(ref, name):
    with open(f"{ref}/{name}") as f:
        return {l.strip() for l in f if l.strip() and not l.startswith("#")}


def flags_of(items):
    """Flag names in a command line (items starting with -)."""
    names = []
    for item in items:
        if item.startswith("-"):
            names.append(item.lstrip("-").split("=", 1)[0])
    return names


# Deprecated flags rendered on purpose, with the reason.
ACCEPTED_DEPRECATED = {
    # Only its help text says DEPRECATED (it is ignored when --config is
    # given, which we do not give); kubeadm 1.29 passes it too. Replacing it
    # means a KubeSchedulerConfiguration file the guide does not have.
    ("kube-scheduler", "kubeconfig"),
}


def check_flags(ref, binary, items, where):
    known = read_list(ref, f"{binary}.flags")
    deprecated = read_list(ref, f"{binary}.deprecated") if os.path.exists(
        f"{ref}/{binary}.deprecated") else set()
    deprecated = {d for d in deprecated if (binary, d) not in ACCEPTED_DEPRECATED}
    names = flags_of(items)
    bad = [n for n in names if n.replace("_", "-") not in known]
    old = [n for n in names if n in deprecated]
    result(not bad, f"{where}: {len(names)} flags of {binary} 1.29" +
           (f"; unknown: {bad}" if bad else ""))
    result(not old, f"{where}: no deprecated flag of {binary}" +
           (f"; deprecated: {old}" if old else ""))


def config_paths(tree, maps, prefix=""):
    """Dotted paths of a config tree, not descending into free-form maps."""
    paths = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        paths.append(path)
        if path in maps:
            continue
        if isinstance(value, dict):
            paths += config_paths(value, maps, path + ".")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                paths += config_paths(item, maps, path + "[].")
    return paths


def check_config(ref, name, tree, where):
    fields = read_list(ref, f"{name}.fields")
    maps = read_list(ref, f"{name}.maps")
    paths = config_paths(tree, maps)
    bad = [p for p in paths if p not in fields]
    result(not bad, f"{where}: {len(paths)} keys are {name} fields" +
           (f"; unknown: {bad}" if bad else ""))


def toml_paths(tree, prefix=""):
    paths = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        paths.append(path)
        if isinstance(value, dict):
            paths += toml_paths(value, path + ".")
    return paths


def wildcard(path, known):
    """path matches a known path where * stands for one key."""
    parts = path.split(".")
    for k in known:
        kp = k.split(".")
        if len(kp) == len(parts) and all(a == "*" or a == b for a, b in zip(kp, parts)):
            return True
    return False


def check_containerd(ref, path, where):
    with open(path, "rb") as f:
        conf = tomllib.load(f)
    top = read_list(ref, "containerd.toplevel")
    cri_fields = read_list(ref, "containerd-cri.fields")
    deprecated = read_list(ref, "containerd-cri.deprecated")
    runc = read_list(ref, "containerd-runc.options")
    bad = []
    for key, value in conf.items():
        if key == "plugins":
            continue
        if key not in top:
            bad.append(key)
        elif isinstance(value, dict) and key != "timeouts":
            bad += [f"{key}.{k}" for k in value if f"{key}.{k}" not in top]
    cri = conf["plugins"]["io.containerd.grpc.v1.cri"]
    maps = read_list(ref, "containerd-cri.maps")
    used = toml_paths(cri)
    for p in used:
        if re.match(r"containerd\.runtimes\.[^.]+\.options\.", p):
            if p.rsplit(".", 1)[1] not in runc:
                bad.append(p)
        elif not wildcard(p, cri_fields) and p.rsplit(".", 1)[0] not in maps:
            bad.append(p)
    old = [p for p in used if wildcard(p, deprecated)]
    result(not bad, f"{where}: {len(used)} CRI keys and the top-level keys are containerd 1.7's" +
           (f"; unknown: {bad}" if bad else ""))
    result(not old, f"{where}: no deprecated CRI key" + (f"; deprecated: {old}" if old else ""))


def check_names(render, ref):
    for host in hosts(render):
        pods = sorted(glob.glob(f"{render}/{host}/etc/kubernetes/staticPods/*.yaml"))
        for pod_path in pods:
            pod = load_yaml(pod_path)[0]
            for c in pod["spec"]["containers"]:
                items = c.get("command", []) + c.get("args", [])
                binary = items[0]
                check_flags(ref, binary, items[1:], f"{host} {os.path.basename(pod_path)}")
        env = f"{render}/{host}/etc/kubernetes/kubelet"
        with open(env) as f:
            args = re.search(r'KUBELET_ARGS="(.*)"', f.read(), re.S).group(1)
        check_flags(ref, "kubelet", args.replace("\\\n", " ").split(), f"{host} kubelet env")
        conf = load_yaml(f"{render}/{host}/etc/kubernetes/kubeletConfig")[0]
        check_config(ref, "kubelet-config", conf, f"{host} kubeletConfig")
        check_containerd(ref, f"{render}/{host}/etc/containerd/config.toml",
                         f"{host} containerd config.toml")
    for doc in load_yaml(f"{render}/_cluster/kube-proxy.yaml"):
        if doc["kind"] == "ConfigMap":
            conf = yaml.safe_load(doc["data"]["config.conf"])
            check_config(ref, "kube-proxy-config", conf, "kube-proxy ConfigMap config.conf")


# ---------------------------------------------------------------- consistency

class Host:
    def __init__(self, render, name):
        self.render, self.name = render, name
        self.files = manifest(render, name)
        self.dirs = created_dirs(render, name)

    def local(self, path):
        return f"{self.render}/{self.name}{path}"

    def has(self, path):
        return path in self.files

    def has_dir(self, path):
        return path in self.dirs or any(p.startswith(path + "/") for p in self.files)


def host_path(pod, container, path):
    """Where a path seen inside a container is on the host, or None."""
    volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    best = None
    for m in container.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best[0]):
                best = (mp, volumes[m["name"]]["hostPath"]["path"].rstrip("/"))
    if best is None:
        return None
    return best[1] + path[len(best[0]):]


def path_flags(items):
    """(flag, path) for every --flag=/path and every "--flag" "/path" pair."""
    out = []
    for i, item in enumerate(items):
        if item.startswith("--") and "=" in item:
            flag, value = item.split("=", 1)
            if value.startswith("/"):
                out.append((flag, value))
        elif item.startswith("/") and i > 0 and items[i - 1].startswith("--"):
            out.append((items[i - 1], item))
    return out


# Flags whose value is a directory the component fills itself.
DIRECTORY_FLAGS = {"--data-dir", "--cert-dir"}


def check_static_pods(h):
    for pod_path in sorted(glob.glob(h.local("/etc/kubernetes/staticPods/*.yaml"))):
        pod = load_yaml(pod_path)[0]
        name = os.path.basename(pod_path)
        for c in pod["spec"]["containers"]:
            items = c.get("command", []) + c.get("args", [])
            for flag, path in path_flags(items):
                hp = host_path(pod, c, path)
                if hp is None:
                    result(False, f"{h.name} {name}: {flag}={path} is not in any volume")
                elif flag in DIRECTORY_FLAGS:
                    result(h.has_dir(hp), f"{h.name} {name}: {flag} directory {hp} is created")
                else:
                    result(h.has(hp), f"{h.name} {name}: {flag}={path} is {hp} on the host, "
                           "which the host receives")


def kubelet_args(h):
    with open(h.local("/etc/kubernetes/kubelet")) as f:
        args = re.search(r'KUBELET_ARGS="(.*)"', f.read(), re.S).group(1)
    return dict(a.lstrip("-").split("=", 1) for a in args.replace("\\\n", " ").split())


def check_kubelet(h):
    with open(h.local("/etc/systemd/system/kubelet.service")) as f:
        unit = f.read()
    env = re.search(r"^EnvironmentFile=(\S+)", unit, re.M).group(1)
    exe = re.search(r"^ExecStart=(\S+)", unit, re.M).group(1)
    wd = re.search(r"^WorkingDirectory=(\S+)", unit, re.M).group(1)
    result(h.has(env), f"{h.name} kubelet.service: EnvironmentFile {env} is placed")
    result(h.has(exe), f"{h.name} kubelet.service: {exe} is placed")
    result(h.has_dir(wd), f"{h.name} kubelet.service: WorkingDirectory {wd} is created")
    args = kubelet_args(h)
    result(h.has(args["config"]), f"{h.name} kubelet --config {args['config']} is placed")
    result(h.has_dir(args["cert-dir"]), f"{h.name} kubelet --cert-dir {args['cert-dir']} exists")
    if "bootstrap-kubeconfig" in args:
        result(h.has(args["bootstrap-kubeconfig"]),
               f"{h.name} kubelet --bootstrap-kubeconfig {args['bootstrap-kubeconfig']} is placed")
        # --kubeconfig is what the kubelet writes after bootstrapping.
        result(not h.has(args["kubeconfig"]),
               f"{h.name} kubelet --kubeconfig {args['kubeconfig']} is left to the kubelet")
    conf = load_yaml(h.local(args["config"]))[0]
    result(h.has_dir(conf["staticPodPath"]),
           f"{h.name} kubeletConfig staticPodPath {conf['staticPodPath']} is created")
    ca = conf.get("authentication", {}).get("x509", {}).get("clientCAFile")
    if ca:
        result(h.has(ca), f"{h.name} kubeletConfig clientCAFile {ca} is placed")
    # resolvConf: placed, or linked by a step (to the host's own file).
    rc = conf.get("resolvConf", "/etc/resolv.conf")
    linked = [l for l in steps(h.render, h.name).splitlines()
              if re.search(r"\bln -sfn \S+ " + re.escape(rc) + "$", l)]
    result(rc == "/etc/resolv.conf" or h.has(rc) or linked,
           f"{h.name} kubeletConfig resolvConf {rc} is placed or linked")
    return conf


class Openssl:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="k8sw-checks.")
        self.n = 0
        self.cache = {}

    def file(self, data):
        self.n += 1
        path = f"{self.dir}/{self.n}.pem"
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run(self, *args):
        # The same files recur on every master: ask openssl once per content.
        key = tuple(open(a, "rb").read() if os.path.isfile(a) else a for a in args)
        if key not in self.cache:
            self.cache[key] = subprocess.run(["openssl", *args], capture_output=True, text=True)
        return self.cache[key]

    def verify(self, ca, cert, purpose=None):
        args = ["verify", "-CAfile", ca]
        if purpose:
            args += ["-purpose", purpose]
        r = self.run(*args, cert)
        return r.returncode == 0 and r.stdout.strip().endswith("OK")

    def pubkey_of_cert(self, cert):
        return self.run("x509", "-in", cert, "-noout", "-pubkey").stdout

    def pubkey_of_key(self, key):
        return self.run("pkey", "-in", key, "-pubout").stdout

    def subject(self, cert):
        return self.run("x509", "-in", cert, "-noout", "-subject", "-nameopt", "RFC2253").stdout

    def san_ips(self, cert):
        """The IP addresses of a certificate's subjectAltName."""
        text = self.run("x509", "-in", cert, "-noout", "-ext", "subjectAltName").stdout
        return {ipaddress.ip_address(a) for a in re.findall(r"IP Address:([0-9A-Fa-f:.]+)", text)}


def cn(subject):
    m = re.search(r"CN=([^,\n]+)", subject)
    return m.group(1) if m else None


def container_args(pod):
    c = pod["spec"]["containers"][0]
    items = c.get("command", []) + c.get("args", [])
    out = {}
    for i, item in enumerate(items):
        if item.startswith("--"):
            if "=" in item:
                k, v = item.split("=", 1)
                out[k] = v
            elif i + 1 < len(items) and not items[i + 1].startswith("--"):
                out[item] = items[i + 1]
            else:
                out[item] = True
    return c, out


def on_host(h, pod, path):
    return h.local(host_path(pod, pod["spec"]["containers"][0], path))


def check_pki(render, masters, workers, ssl):
    m = masters[0]
    api = load_yaml(m.local("/etc/kubernetes/staticPods/kube-apiserver.yaml"))[0]
    _, a = container_args(api)
    cm = load_yaml(m.local("/etc/kubernetes/staticPods/kube-controller-manager.yaml"))[0]
    _, c = container_args(cm)
    f = lambda p: on_host(m, api, p)
    g = lambda p: on_host(m, cm, p)

    # Every key matches its certificate, on every host.
    for h in masters + workers:
        for path in h.files:
            if path.endswith("-key.pem"):
                cert = h.local(path[:-len("-key.pem")] + ".pem")
                if os.path.exists(cert):
                    result(ssl.pubkey_of_cert(cert) == ssl.pubkey_of_key(h.local(path)),
                           f"{h.name} {path} is the key of {path[:-8]}.pem")
    result(ssl.pubkey_of_key(f("/etc/kubernetes/pki/sa.key")) ==
           open(f("/etc/kubernetes/pki/sa.pub")).read(),
           "sa.pub is the public key of sa.key")

    # The apiserver's serving certificate, as its clients see it.
    vip = None
    for h in masters:
        for name, path in [(p, p) for p in h.files if p.endswith(".kubeconfig")]:
            kc = load_yaml(h.local(path))[0]
            cluster = kc["clusters"][0]["cluster"]
            vip = cluster["server"]
            ca = ssl.file(base64.b64decode(cluster["certificate-authority-data"]))
            result(ssl.verify(ca, f(a["--tls-cert-file"]), "sslserver"),
                   f"{h.name} {name}: the apiserver's certificate verifies against its CA")
            user = kc["users"][0]["user"]
            if "client-certificate-data" in user:
                cert = ssl.file(base64.b64decode(user["client-certificate-data"]))
                key = ssl.file(base64.b64decode(user["client-key-data"]))
                result(ssl.verify(f(a["--client-ca-file"]), cert, "sslclient"),
                       f"{h.name} {name}: its client certificate verifies against the "
                       "apiserver's --client-ca-file")
                result(ssl.pubkey_of_cert(cert) == ssl.pubkey_of_key(key),
                       f"{h.name} {name}: its client key matches its certificate")
    host = re.match(r"https://\[?([^\]]+?)\]?:\d+$", vip).group(1)
    sans = ssl.san_ips(f(a["--tls-cert-file"]))
    for addr in [host] + [h_.address for h_ in masters]:
        result(ipaddress.ip_address(addr) in sans, f"the apiserver's certificate names {addr}")

    # apiserver <-> etcd, both ways, and etcd's peers.
    for h in masters:
        for pod_path in glob.glob(h.local("/etc/kubernetes/staticPods/etcd.yaml")):
            etcd = load_yaml(pod_path)[0]
            _, e = container_args(etcd)
            ef = lambda p: on_host(h, etcd, p)
            result(ssl.verify(ef(e["--trusted-ca-file"]), f(a["--etcd-certfile"]), "sslclient"),
                   f"{h.name} etcd trusts the apiserver's --etcd-certfile")
            result(ssl.verify(f(a["--etcd-cafile"]), ef(e["--cert-file"]), "sslserver"),
                   f"the apiserver's --etcd-cafile trusts {h.name} etcd's --cert-file")
            result(ssl.verify(ef(e["--peer-trusted-ca-file"]), ef(e["--peer-cert-file"])),
                   f"{h.name} etcd's peer certificate verifies against its peer CA")
            esans = ssl.san_ips(ef(e["--cert-file"]))
            result(ipaddress.ip_address(h.address) in esans,
                   f"{h.name} etcd's certificate names {h.address}")

    # apiserver -> kubelets, and the RBAC user of that certificate.
    client = f(a["--kubelet-client-certificate"])
    for w in workers:
        conf = load_yaml(w.local("/etc/kubernetes/kubeletConfig"))[0]
        ca = w.local(conf["authentication"]["x509"]["clientCAFile"])
        result(ssl.verify(ca, client, "sslclient"),
               f"{w.name} kubelet's clientCAFile trusts the apiserver's kubelet client certificate")
    user = cn(ssl.subject(client))
    bound = [s["name"] for d in load_yaml(f"{render}/_cluster/rbac-bootstrap.yaml")
             if d["metadata"]["name"] == "kubelet-admin" for s in d["subjects"]]
    result(bound == [user], f"kubelet-admin binds {bound}, the kubelet client certificate's CN "
           f"{user}")

    # The aggregation layer.
    proxy = f(a["--proxy-client-cert-file"])
    result(ssl.verify(f(a["--requestheader-client-ca-file"]), proxy, "sslclient"),
           "the proxy client certificate verifies against --requestheader-client-ca-file")
    result(cn(ssl.subject(proxy)) in a["--requestheader-allowed-names"].split(","),
           "the proxy client certificate's CN is in --requestheader-allowed-names")

    # Kubelet certificates the controller-manager signs are trusted by the apiserver.
    signer = g(c["--cluster-signing-cert-file"])
    result(open(signer).read() == open(f(a["--client-ca-file"])).read(),
           "--cluster-signing-cert-file is the apiserver's --client-ca-file")
    result(ssl.pubkey_of_cert(signer) == ssl.pubkey_of_key(g(c["--cluster-signing-key-file"])),
           "--cluster-signing-key-file is the key of --cluster-signing-cert-file")
    result(ssl.verify(g(c["--root-ca-file"]), f(a["--tls-cert-file"])),
           "the controller-manager's --root-ca-file (given to pods) verifies the apiserver")

    # Workers: the bootstrap kubeconfig reaches the apiserver with a token it knows.
    with open(f(a["--token-auth-file"])) as tf:
        tokens = {line.split(",")[0] for line in tf if line.strip()}
    for w in workers:
        kc = load_yaml(w.local("/etc/kubernetes/kubelet-bootstrap.kubeconfig"))[0]
        ca = ssl.file(base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]))
        result(ssl.verify(ca, f(a["--tls-cert-file"]), "sslserver"),
               f"{w.name} bootstrap kubeconfig's CA verifies the apiserver")
        result(kc["users"][0]["user"].get("token") in tokens,
               f"{w.name} bootstrap token is in the apiserver's token.csv")


def check_secrets(render, masters, workers):
    for h in masters + workers:
        for path, (mode, owner, _, _) in h.files.items():
            secret = path.endswith(("-key.pem", ".key", ".kubeconfig", "token.csv"))
            if secret:
                real = stat.S_IMODE(os.stat(h.local(path)).st_mode)
                result(mode == "0600" and real == 0o600,
                       f"{h.name} {path} is 0600 in MANIFEST and in the render")
        ca_keys = sorted(p for p in h.files if re.search(r"-ca-key\.pem$", p))
        if h in workers:
            result(not ca_keys, f"{h.name} (worker) receives no CA key {ca_keys or ''}")
            keys = sorted(p for p in h.files if p.endswith(("-key.pem", ".key")))
            result(not keys, f"{h.name} (worker) receives no private key {keys or ''}")
        else:
            result(ca_keys == ["/etc/kubernetes/pki/k8s-ca-key.pem"],
                   f"{h.name} (master) receives only k8s-ca's CA key (cluster signing): {ca_keys}")


def check_consistency(render):
    names = hosts(render)
    all_hosts = [Host(render, n) for n in names]
    masters = [h for h in all_hosts if h.has("/etc/kubernetes/staticPods/kube-apiserver.yaml")]
    workers = [h for h in all_hosts if h not in masters]
    for h in all_hosts:
        h.address = re.search(r"^# The commands \S+ \((\S+)\)", steps(render, h.name)).group(1)
        check_static_pods(h)
        check_kubelet(h)
    ssl = Openssl()
    try:
        check_pki(render, masters, workers, ssl)
    finally:
        shutil.rmtree(ssl.dir)
    check_secrets(render, masters, workers)


# ---------------------------------------------------------------- addresses

def env_of(render, manifest, kind, name, container):
    for doc in load_yaml(f"{render}/_cluster/{manifest}"):
        if doc.get("kind") == kind and doc["metadata"]["name"] == name:
            for c in containers_of(doc):
                if c["name"] == container:
                    return {e["name"]: e.get("value") for e in c.get("env", [])}
    return None


def check_addresses(render):
    """Nodes are known by their plan addresses: the kubelet registers it, the
    apiserver dials it, Calico takes it, the CSR approver checks names and
    addresses without a DNS that knows the hosts."""
    all_hosts = [Host(render, n) for n in hosts(render)]
    masters = [h for h in all_hosts if h.has("/etc/kubernetes/staticPods/kube-apiserver.yaml")]
    workers = [h for h in all_hosts if h not in masters]
    for h in all_hosts:
        h.address = re.search(r"^# The commands \S+ \((\S+)\)", steps(render, h.name)).group(1)
    for m in masters:
        _, a = container_args(load_yaml(m.local("/etc/kubernetes/staticPods/kube-apiserver.yaml"))[0])
        types = a.get("--kubelet-preferred-address-types", "").split(",")
        result(types[0] == "InternalIP",
               f"{m.name}: the apiserver dials kubelets at their InternalIP first ({types})")
    for w in workers:
        ip = kubelet_args(w).get("node-ip")
        result(ip == w.address, f"{w.name}: the kubelet's --node-ip {ip} is its plan address")
    calico = env_of(render, "calico.yaml", "DaemonSet", "calico-node", "calico-node") \
        if os.path.exists(f"{render}/_cluster/calico.yaml") else None
    if calico is not None:
        got = calico.get("IP_AUTODETECTION_METHOD")
        result(got == "kubernetes-internal-ip",
               f"calico-node takes the node's InternalIP (IP_AUTODETECTION_METHOD={got})")
    approver = env_of(render, "kubelet-csr-approver.yaml", "Deployment", "kubelet-csr-approver",
                      "kubelet-csr-approver") \
        if os.path.exists(f"{render}/_cluster/kubelet-csr-approver.yaml") else None
    if approver is not None:
        result(approver.get("BYPASS_DNS_RESOLUTION") == "true",
               "kubelet-csr-approver does not ask DNS for node names")
        nets = [ipaddress.ip_network(n) for n in approver.get("PROVIDER_IP_PREFIXES", "").split(",") if n]
        regex = re.compile(approver.get("PROVIDER_REGEX", "^$"))
        for w in workers:
            result(any(ipaddress.ip_address(w.address) in n for n in nets) and regex.search(w.name),
                   f"kubelet-csr-approver still checks {w.name}'s name and address {w.address}")


# ---------------------------------------------------------------- endpoint

def kubeconfig_server(h, path):
    return load_yaml(h.local(path))[0]["clusters"][0]["cluster"]["server"]


def url(address, port):
    return f"https://[{address}]:{port}" if ":" in address else f"https://{address}:{port}"


def step_index(h, text):
    """The line of the host's steps that is text (-1 when none)."""
    lines = steps(h.render, h.name).splitlines()
    return lines.index(text) if text in lines else -1


def check_endpoint(render, mode):
    """How the apiservers are reached, network.apiserverEndpoint MODE: who runs
    haproxy and keepalived, where they listen and forward, what each client's
    kubeconfig names, where the apiserver binds."""
    all_hosts = [Host(render, n) for n in hosts(render)]
    masters = [h for h in all_hosts if h.has("/etc/kubernetes/staticPods/kube-apiserver.yaml")]
    workers = [h for h in all_hosts if h not in masters]
    for h in all_hosts:
        h.address = re.search(r"^# The commands \S+ \((\S+)\)", steps(render, h.name)).group(1)
    api = load_yaml(masters[0].local("/etc/kubernetes/staticPods/kube-apiserver.yaml"))[0]
    _, a = container_args(api)
    port = a["--secure-port"]
    proxy_hosts = {"local": workers, "keepalived": masters}.get(mode, [])
    for h in all_hosts:
        want = h in proxy_hosts
        result(h.has("/etc/haproxy/haproxy.cfg") == want,
               f"{h.name}: haproxy.cfg {'placed' if want else 'not placed'} ({mode})")
        want = mode == "keepalived" and h in masters
        result(h.has("/etc/keepalived/keepalived.conf") == want,
               f"{h.name}: keepalived.conf {'placed' if want else 'not placed'} ({mode})")
    for h in proxy_hosts:
        if not h.has("/etc/haproxy/haproxy.cfg"):
            continue
        with open(h.local("/etc/haproxy/haproxy.cfg")) as f:
            cfg = f.read()
        binds = re.findall(r"^\s*bind (\S+)$", cfg, re.M)
        servers = re.findall(r"^\s*server \S+ (\S+)$", cfg, re.M)
        want = [f"https://{s}" for s in servers]
        result(want == [url(m.address, port) for m in masters],
               f"{h.name}: haproxy forwards to every master's apiserver: {servers}")
        if mode == "local":
            result(binds == [f"127.0.0.1:{port}"], f"{h.name}: haproxy listens on 127.0.0.1:{port}")
            # Started (and checked) before the kubelet, which bootstraps through it.
            start = step_index(h, "systemctl reload-or-restart haproxy")
            kubelet = step_index(h, "systemctl restart kubelet")
            result(0 <= step_index(h, "haproxy -c -q -f /etc/haproxy/haproxy.cfg") < start < kubelet,
                   f"{h.name}: haproxy checked and started before the kubelet")
    for m in masters:
        pod = load_yaml(m.local("/etc/kubernetes/staticPods/kube-apiserver.yaml"))[0]
        _, args = container_args(pod)
        want = m.address if mode == "keepalived" else ("::" if ":" in m.address else "0.0.0.0")
        result(args["--bind-address"] == want,
               f"{m.name}: the apiserver binds {args['--bind-address']} ({mode}: {want})")
    if mode == "keepalived":
        vip = re.match(r"https://\[?([^\]]+?)\]?:\d+$",
                       kubeconfig_server(masters[0], "/etc/kubernetes/admin.kubeconfig")).group(1)
        for m in masters:
            if not m.has("/etc/keepalived/keepalived.conf") or not m.has("/etc/haproxy/haproxy.cfg"):
                continue
            with open(m.local("/etc/haproxy/haproxy.cfg")) as f:
                binds = re.findall(r"^\s*bind (\S+)$", f.read(), re.M)
            result(binds == [url(vip, port)[len("https://"):]],
                   f"{m.name}: haproxy listens on the VIP {vip}:{port}")
            with open(m.local("/etc/keepalived/keepalived.conf")) as f:
                conf = f.read()
            result(re.search(r"virtual_ipaddress \{\s*" + re.escape(vip) + r"\s*\}", conf) is not None,
                   f"{m.name}: keepalived holds the VIP {vip}")
            block = re.search(r"unicast_peer \{([^}]*)\}", conf)
            peers = re.findall(r"^\s+(\S+)$", block.group(1), re.M) if block else []
            others = [o.address for o in masters if o is not m]
            result(peers == others, f"{m.name}: keepalived's peers are the other masters {others}")
            with open(m.local("/etc/sysctl.d/99-k8s-wizard.conf")) as f:
                key = "net.ipv6" if ":" in vip else "net.ipv4"
                result(f"{key}.ip_nonlocal_bind=1" in f.read().split("\n"),
                       f"{m.name}: {key}.ip_nonlocal_bind=1 (haproxy binds the VIP it may not hold)")
            result(step_index(m, "keepalived --config-test -f /etc/keepalived/keepalived.conf") >= 0,
                   f"{m.name}: keepalived's configuration is tested on the host")
    # The clients: workers through their proxy, masters to their own apiserver.
    for w in workers:
        got = kubeconfig_server(w, "/etc/kubernetes/kubelet-bootstrap.kubeconfig")
        want = f"https://127.0.0.1:{port}" if mode == "local" else None
        result(got == want if want else "127.0.0.1" not in got,
               f"{w.name}: the kubelet bootstraps through {got}")
    for doc in load_yaml(f"{render}/_cluster/kube-proxy.yaml"):
        if doc["kind"] == "ConfigMap":
            got = yaml.safe_load(doc["data"]["kubeconfig.conf"])["clusters"][0]["cluster"]["server"]
            want = kubeconfig_server(workers[0], "/etc/kubernetes/kubelet-bootstrap.kubeconfig")
            result(got == want, f"kube-proxy reaches the API as the workers' kubelets do: {got}")
    for m in masters:
        for name in ("kube-controller-manager", "kube-scheduler"):
            got = kubeconfig_server(m, f"/etc/kubernetes/{name}.kubeconfig")
            result((got == f"https://127.0.0.1:{port}") == (mode == "local"),
                   f"{m.name}: {name} reaches the API at {got}")
    if mode == "local":
        got = kubeconfig_server(masters[0], "/etc/kubernetes/admin.kubeconfig")
        result(got == url(masters[0].address, port), f"the admin kubeconfig names the first master: {got}")


def main():
    check, render = sys.argv[1], sys.argv[2]
    if check == "syntax":
        check_syntax(render)
    elif check == "names":
        check_names(render, sys.argv[3])
    elif check == "consistency":
        check_consistency(render)
    elif check == "addresses":
        check_addresses(render)
    elif check == "endpoint":
        check_endpoint(render, sys.argv[3])
    else:
        sys.exit(f"unknown check {check}")
    print(f"# {check}: {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
