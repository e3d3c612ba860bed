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
               kubelet-signing-ca's leaves the jump host, and workers get none
  secure       the defaults of issue 9 that keep a cluster working and closed
               on real servers (each function below names its item)
  ntp          with REFERENCE_DIR replaced by the plan's network.ntpServers,
               comma-separated ("-": none): systemd-timesyncd's drop-in and
               the steps that apply it, or nothing about time sync

Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed."""

import base64
import configparser
import functools
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


def _dig(tree, dotted, default=None):
    """tree[a][b]... for "a.b...", or default."""
    for key in dotted.split("."):
        if not isinstance(tree, dict) or key not in tree:
            return default
        tree = tree[key]
    return tree


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


def check_flags(ref, binary, items, where):
    known = read_list(ref, f"{binary}.flags")
    deprecated = read_list(ref, f"{binary}.deprecated") if os.path.exists(
        f"{ref}/{binary}.deprecated") else set()
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
        sched = f"{render}/{host}/etc/kubernetes/kube-scheduler-config.yaml"
        if os.path.exists(sched):
            conf = load_yaml(sched)[0]
            result(conf.get("apiVersion") == "kubescheduler.config.k8s.io/v1",
                   f"{host} kube-scheduler-config.yaml: apiVersion {conf.get('apiVersion')} "
                   "is 1.29's (v1)")
            check_config(ref, "kube-scheduler-config", conf, f"{host} kube-scheduler-config.yaml")
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

    @functools.cached_property
    def address(self):
        """The host's plan address, from the header of its steps."""
        return re.search(r"^# The commands \S+ \((\S+)\)", steps(self.render, self.name)).group(1)

    def local(self, path):
        return f"{self.render}/{self.name}{path}"

    def has(self, path):
        return path in self.files

    def has_dir(self, path):
        return path in self.dirs or any(p.startswith(path + "/") for p in self.files)


def render_hosts(render):
    """Every host of the render, its masters (those that run an apiserver) and
    its workers (the others)."""
    all_hosts = [Host(render, n) for n in hosts(render)]
    masters = [h for h in all_hosts if h.has("/etc/kubernetes/staticPods/kube-apiserver.yaml")]
    return all_hosts, masters, [h for h in all_hosts if h not in masters]


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
                    if flag == "--config" and h.has(hp):
                        check_config_paths(h, pod, c, name, hp)


def check_config_paths(h, pod, c, name, config):
    """The files a component's config file names, seen from its container."""
    conf = load_yaml(h.local(config))[0]
    for key in ("clientConnection.kubeconfig",):
        path = _dig(conf, key)
        if not path:
            continue
        hp = host_path(pod, c, path)
        result(hp is not None and h.has(hp), f"{h.name} {name}: {config} {key} {path} is "
               "mounted and placed")


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

    def issue(self, ca, ca_key, usage):
        """A throw-away leaf signed by ca, with extendedKeyUsage usage."""
        self.n += 1
        key, csr, crt = (f"{self.dir}/{self.n}.{x}" for x in ("key", "csr", "crt"))
        ext = f"{self.dir}/{self.n}.ext"
        with open(ext, "w") as e:
            e.write(f"keyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n"
                    "subjectAltName=DNS:node1\n")
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
                        "-subj", "/O=system:nodes/CN=system:node:node1"], capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                        "-CAserial", f"{self.dir}/{self.n}.srl", "-CAcreateserial", "-days", "1",
                        "-extfile", ext, "-out", crt],
                       capture_output=True)
        return crt

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

    # Kubelet certificates the controller-manager signs: the client ones are
    # trusted by the apiserver's --client-ca-file, the serving ones by its
    # --kubelet-certificate-authority and by pods (--root-ca-file:
    # metrics-server verifies kubelets with it).
    for kind in ("client", "serving"):
        signer = g(c[f"--cluster-signing-kubelet-{kind}-cert-file"])
        result(ssl.pubkey_of_cert(signer) ==
               ssl.pubkey_of_key(g(c[f"--cluster-signing-kubelet-{kind}-key-file"])),
               f"--cluster-signing-kubelet-{kind}-key-file is the key of its cert-file")
        sample = ssl.issue(signer, g(c[f"--cluster-signing-kubelet-{kind}-key-file"]),
                           "clientAuth" if kind == "client" else "serverAuth")
        if kind == "client":
            result(ssl.verify(f(a["--client-ca-file"]), sample, "sslclient"),
                   "a kubelet client certificate the controller-manager signs verifies against "
                   "the apiserver's --client-ca-file")
        else:
            result(ssl.verify(f(a["--kubelet-certificate-authority"]), sample, "sslserver"),
                   "a kubelet serving certificate the controller-manager signs verifies against "
                   "the apiserver's --kubelet-certificate-authority")
            result(ssl.verify(g(c["--root-ca-file"]), sample, "sslserver"),
                   "... and against the controller-manager's --root-ca-file (pods)")
    result(ssl.verify(g(c["--root-ca-file"]), f(a["--tls-cert-file"])),
           "the controller-manager's --root-ca-file (given to pods) verifies the apiserver")

    # Workers: the bootstrap kubeconfig reaches the apiserver with the token of
    # the bootstrap token Secret, whose group may ask for node certificates.
    tokens, groups = set(), set()
    for d in load_yaml(f"{render}/_cluster/bootstrap-token.yaml"):
        data = d.get("stringData", {})
        if d.get("type") == "bootstrap.kubernetes.io/token" and \
                d["metadata"]["name"] == "bootstrap-token-" + data.get("token-id", "") and \
                d["metadata"].get("namespace") == "kube-system" and \
                data.get("usage-bootstrap-authentication") == "true":
            tokens.add(f"{data['token-id']}.{data['token-secret']}")
            groups |= {"system:bootstrappers"} | set(data.get("auth-extra-groups", "").split(","))
    result("--enable-bootstrap-token-auth" in a, "the apiserver takes bootstrap tokens")
    for w in workers:
        kc = load_yaml(w.local("/etc/kubernetes/kubelet-bootstrap.kubeconfig"))[0]
        ca = ssl.file(base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]))
        result(ssl.verify(ca, f(a["--tls-cert-file"]), "sslserver"),
               f"{w.name} bootstrap kubeconfig's CA verifies the apiserver")
        result(kc["users"][0]["user"].get("token") in tokens,
               f"{w.name} bootstrap token is the bootstrap token Secret's")
    bound = {}
    for d in load_yaml(f"{render}/_cluster/rbac-bootstrap.yaml"):
        for s in d.get("subjects", []):
            if s.get("kind") == "Group":
                bound.setdefault(d["roleRef"]["name"], set()).add(s["name"])
    for role in ("system:node-bootstrapper",
                 "system:certificates.k8s.io:certificatesigningrequests:nodeclient"):
        result(bool(bound.get(role, set()) & groups),
               f"the bootstrap token's groups are bound to {role}")


def check_secrets(render, masters, workers):
    cluster = manifest(render, "_cluster")
    for path, (mode, _, _, _) in cluster.items():
        if path.startswith("bootstrap-token"):
            real = stat.S_IMODE(os.stat(f"{render}/_cluster/{path}").st_mode)
            result(mode == "0600" and real == 0o600,
                   f"_cluster {path} (the token) is 0600 in MANIFEST and in the render")
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
            result(ca_keys == ["/etc/kubernetes/pki/kubelet-signing-ca-key.pem"],
                   f"{h.name} (master) receives only kubelet-signing-ca's CA key (the "
                   f"controller-manager's kubelet signers): {ca_keys}")


def check_consistency(render):
    all_hosts, masters, workers = render_hosts(render)
    for h in all_hosts:
        check_static_pods(h)
        check_kubelet(h)
    ssl = Openssl()
    try:
        check_pki(render, masters, workers, ssl)
    finally:
        shutil.rmtree(ssl.dir)
    check_secrets(render, masters, workers)


# ---------------------------------------------------------------- secure

def sysctl_settings(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";")) and "=" in line:
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


# The packages a host may be given, each with the file that configures it
# there: the API endpoint's proxy and VIP (apiserverEndpoint local,
# keepalived), the NTP client of network.ntpServers.
HOST_PACKAGES = {"haproxy": "/etc/haproxy/haproxy.cfg",
                 "keepalived": "/etc/keepalived/keepalived.conf",
                 "systemd-timesyncd": "/etc/systemd/timesyncd.conf.d/k8s-wizard.conf"}


def install_ok(h, line):
    """An install step that works offline and never on a stale index: only
    the packages the host's own configuration needs, each only when missing,
    after apt-get update."""
    guarded = re.findall(r"(?:\[ -x /usr/sbin/([a-z]+) \]|systemctl cat ([a-z-]+)\.service "
                         r">/dev/null 2>&1) \|\| pkgs=", line)
    guarded = [a or b for a, b in guarded]
    added = re.findall(r"pkgs=\"?(?:\$pkgs )?([a-z-]+)\"?;", line)
    return (bool(guarded) and guarded == added
            and all(h.has(HOST_PACKAGES.get(p, "-")) for p in guarded)
            and re.search(r"\[ -z \"\$pkgs\" \] \|\| \{ apt-get -q update && "
                          r"[^;|]*apt-get [^;|]*install -y -q \$pkgs; \}$", line) is not None)


def check_host_settings(render, h):
    """Issue 9, item 12: no kernel setting below the host's own, no package
    installed but the endpoint's and the NTP client's, when missing (prepare
    works offline)."""
    for path in h.files:
        if path.startswith("/etc/sysctl.d/"):
            keys = sysctl_settings(h.local(path))
            result("kernel.threads-max" not in keys,
                   f"{h.name} {path}: kernel.threads-max is left to the kernel")
    installs = [l for l in steps(render, h.name).splitlines()
                if re.search(r"\b(apt-get|apt|dnf|yum)\b.*\binstall\b", l) and not install_ok(h, l)]
    result(not installs, f"{h.name}: no step installs packages the host may lack a mirror for "
           f"{installs or ''}")


# The kubelet's own evictionHard defaults (1.29): a map that names only some
# signals leaves the others without a threshold.
EVICTION_SIGNALS = {"memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available"}


def unit_sections(path):
    sections, cur = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("[") and line.endswith("]"):
                cur = sections.setdefault(line[1:-1], {})
            elif cur is not None and "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                cur[k] = v
    return sections


def check_kubelet_runtime(h):
    """Item 11: every eviction signal keeps a threshold, the kubelet comes
    back whatever stopped it, the sandbox image is the one 1.29 expects."""
    conf = load_yaml(h.local("/etc/kubernetes/kubeletConfig"))[0]
    missing = EVICTION_SIGNALS - set(conf.get("evictionHard") or {})
    result(not missing, f"{h.name} kubeletConfig: evictionHard sets every default signal"
           + (f"; missing {sorted(missing)}" if missing else ""))
    unit = unit_sections(h.local("/etc/systemd/system/kubelet.service"))
    svc, u = unit.get("Service", {}), unit.get("Unit", {})
    result(svc.get("Restart") == "always" and svc.get("RestartSec", "0") not in ("0", "")
           and u.get("StartLimitIntervalSec") == "0",
           f"{h.name} kubelet.service: Restart=always with a delay, no start limit")
    with open(h.local("/etc/containerd/config.toml"), "rb") as f:
        image = tomllib.load(f)["plugins"]["io.containerd.grpc.v1.cri"]["sandbox_image"]
    result(image.endswith(":3.9"), f"{h.name} containerd: sandbox image {image} is pause 3.9")


def check_kubelet_api(h):
    """Item 4: no kubelet answers anonymous requests or serves the read-only
    port; one that authorizes every request it authenticates (a master's,
    which has no API server to ask) listens on loopback only."""
    conf = load_yaml(h.local("/etc/kubernetes/kubeletConfig"))[0]
    authn, authz = conf.get("authentication") or {}, conf.get("authorization") or {}
    # The defaults are KubeletConfiguration v1beta1's.
    result(_dig(authn, "anonymous.enabled", False) is False,
           f"{h.name} kubelet: anonymous requests are refused")
    result(int(conf.get("readOnlyPort", 0)) == 0, f"{h.name} kubelet: no read-only port")
    result(bool(_dig(authn, "x509.clientCAFile")) or _dig(authn, "webhook.enabled", True),
           f"{h.name} kubelet: clients authenticate (x509 or webhook)")
    if authz.get("mode", "Webhook") != "Webhook":
        address = conf.get("address", "0.0.0.0")
        result(ipaddress.ip_address(address).is_loopback,
               f"{h.name} kubelet: authorization {authz.get('mode')}, so it listens on "
               f"loopback (address {address})")


def check_authorization(render, masters):
    """Item 5: the Node authorizer before RBAC, NodeRestriction admission, and
    no binding that gives every node the system:node role."""
    for h in masters:
        api = load_yaml(h.local("/etc/kubernetes/staticPods/kube-apiserver.yaml"))[0]
        _, a = container_args(api)
        modes = str(a.get("--authorization-mode", "AlwaysAllow")).split(",")
        result(modes[:1] == ["Node"] and "RBAC" in modes and "AlwaysAllow" not in modes,
               f"{h.name} apiserver: authorization {','.join(modes)} is Node then RBAC")
        plugins = str(a.get("--enable-admission-plugins", "")).split(",")
        result("NodeRestriction" in plugins, f"{h.name} apiserver: NodeRestriction admission")
    bad = []
    for path in sorted(glob.glob(f"{render}/_cluster/*.yaml")):
        for d in load_yaml(path):
            if isinstance(d, dict) and d.get("kind") == "ClusterRoleBinding" and \
                    d.get("roleRef", {}).get("name") == "system:node":
                bad += [s["name"] for s in d.get("subjects", []) if s.get("kind") == "Group"]
    result(not bad, "no ClusterRoleBinding gives a group of nodes the system:node role"
           + (f": {bad}" if bad else ""))


# Ports every node serves itself (SSH, kubelet, kube-proxy, control plane).
NODE_PORTS = {22, 10248, 10249, 10250, 10255, 10256, 10257, 10259}


def check_node_ports(h):
    """Item 9: NodePorts cannot take a port the nodes serve."""
    api = load_yaml(h.local("/etc/kubernetes/staticPods/kube-apiserver.yaml"))[0]
    _, a = container_args(api)
    ports = set(NODE_PORTS) | {int(a.get("--secure-port", 6443))}
    for pod_path in glob.glob(h.local("/etc/kubernetes/staticPods/etcd.yaml")):
        _, e = container_args(load_yaml(pod_path)[0])
        for flag in ("--listen-client-urls", "--listen-peer-urls"):
            ports |= {int(u.rsplit(":", 1)[1]) for u in e[flag].split(",")}
    low, high = (int(x) for x in a.get("--service-node-port-range", "30000-32767").split("-"))
    inside = sorted(p for p in ports if low <= p <= high)
    result(not inside, f"{h.name} apiserver: NodePorts {low}-{high} leave the nodes' own ports "
           "alone" + (f"; covers {inside}" if inside else ""))


def check_delegated_auth(h):
    """Item 8: the controller-manager and the scheduler check who calls them
    through the API server, and the scheduler reads a config file, not the
    deprecated --kubeconfig."""
    for name in ("kube-controller-manager", "kube-scheduler"):
        pod = load_yaml(h.local(f"/etc/kubernetes/staticPods/{name}.yaml"))[0]
        _, a = container_args(pod)
        both = [f for f in ("--authentication-kubeconfig", "--authorization-kubeconfig")
                if str(a.get(f, "")).startswith("/")]
        result(len(both) == 2, f"{h.name} {name}: --authentication-kubeconfig and "
               "--authorization-kubeconfig")
        if name == "kube-scheduler":
            result("--config" in a and "--kubeconfig" not in a,
                   f"{h.name} {name}: a KubeSchedulerConfiguration file, no --kubeconfig")


def pod_reads(h, pod, c):
    """The host files a container reads (those its flags name, and those named
    in the file its --config names) and the directories it fills itself."""
    items = c.get("command", []) + c.get("args", [])
    files, dirs = set(), set()
    for flag, path in path_flags(items):
        hp = host_path(pod, c, path)
        if hp is None:
            continue
        (dirs if flag in DIRECTORY_FLAGS else files).add(hp)
        if flag == "--config" and h.has(hp):
            conf = load_yaml(h.local(hp))[0]
            inner = _dig(conf, "clientConnection.kubeconfig")
            if inner and host_path(pod, c, inner):
                files.add(host_path(pod, c, inner))
    return files, dirs


def check_pod_mounts(h):
    """Item 7: a static pod's hostPath volumes hold only what it reads (no
    directory of keys that are not its own)."""
    for pod_path in sorted(glob.glob(h.local("/etc/kubernetes/staticPods/*.yaml"))):
        pod = load_yaml(pod_path)[0]
        name = os.path.basename(pod_path)
        volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
        for c in pod["spec"]["containers"]:
            files, dirs = pod_reads(h, pod, c)
            for m in c.get("volumeMounts", []):
                vpath = volumes[m["name"]].get("hostPath", {}).get("path", "").rstrip("/")
                if not vpath:
                    continue
                placed = [p for p in h.files if p == vpath or p.startswith(vpath + "/")]
                extra = sorted(p for p in placed if p not in files and
                               not any(p.startswith(d + "/") for d in dirs))
                result(not extra, f"{h.name} {name}: volume {vpath} holds only files it reads"
                       + (f"; also {extra}" if extra else ""))


def check_control_plane_pki(h, ssl):
    """Item 7: the apiserver verifies kubelets and has its own etcd client
    certificate; the controller-manager signs kubelets with a CA of their own,
    not with the cluster's (whose key stays on the jump host)."""
    api = load_yaml(h.local("/etc/kubernetes/staticPods/kube-apiserver.yaml"))[0]
    _, a = container_args(api)
    f = lambda p: on_host(h, api, p)
    result("--kubelet-certificate-authority" in a,
           f"{h.name} apiserver: --kubelet-certificate-authority verifies the kubelets")
    own = open(f(a["--etcd-certfile"])).read()
    for other in glob.glob(f"{h.render}/*/etc/etcdssl/*.pem"):
        if not other.endswith("-key.pem"):
            result(open(other).read() != own,
                   f"{h.name} apiserver: --etcd-certfile is not etcd's {os.path.basename(other)}")
    result(not ssl.verify(f(a["--etcd-cafile"]), f(a["--etcd-certfile"]), "sslserver"),
           f"{h.name} apiserver: its etcd certificate is a client's only")
    cm = load_yaml(h.local("/etc/kubernetes/staticPods/kube-controller-manager.yaml"))[0]
    _, c = container_args(cm)
    result("--cluster-signing-cert-file" not in c and "--cluster-signing-key-file" not in c,
           f"{h.name} controller-manager: no signer of every kind (no --cluster-signing-cert-file)")
    for kind in ("client", "serving"):
        signer = on_host(h, cm, c.get(f"--cluster-signing-kubelet-{kind}-cert-file", "/none"))
        result(os.path.exists(signer) and not ssl.verify(signer, f(a["--tls-cert-file"])),
               f"{h.name} controller-manager: the kubelet {kind} signer is not the apiserver's CA")
    ca_keys = sorted(p for p in h.files if p.endswith("-ca-key.pem"))
    result(all(p.endswith("/kubelet-signing-ca-key.pem") for p in ca_keys),
           f"{h.name}: no CA key but kubelet-signing-ca's {ca_keys}")


def check_bootstrap_token(render, h, masters):
    """Item 6: the workers join with a bootstrap token that expires, not with
    a static token file, and drop its kubeconfig once they have their own
    certificate."""
    import datetime
    if h in masters:
        api = load_yaml(h.local("/etc/kubernetes/staticPods/kube-apiserver.yaml"))[0]
        _, a = container_args(api)
        result("--token-auth-file" not in a, f"{h.name} apiserver: no static token file")
        return
    kc = load_yaml(h.local("/etc/kubernetes/kubelet-bootstrap.kubeconfig"))[0]
    token = kc["users"][0]["user"].get("token", "")
    secrets = [d for d in load_yaml(f"{render}/_cluster/bootstrap-token.yaml")
               if d.get("stringData", {}).get("token-id") == token.split(".")[0]]
    expiration = secrets[0]["stringData"].get("expiration") if secrets else None
    try:
        when = datetime.datetime.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        left = (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    except (TypeError, ValueError):
        left = None
    result(left is not None and 0 < left <= 8760 * 3600,
           f"{h.name}: its bootstrap token expires ({expiration})")
    lines = steps(render, h.name).splitlines()
    restart = [i for i, l in enumerate(lines) if l == "systemctl restart kubelet"]
    drop = [i for i, l in enumerate(lines)
            if "kubelet-client-current.pem" in l and
            l.endswith("rm -f /etc/kubernetes/kubelet-bootstrap.kubeconfig")]
    result(bool(restart and drop and drop[-1] > restart[-1]),
           f"{h.name}: the bootstrap kubeconfig is removed once the kubelet has its certificate")


def check_coredns(render, workers):
    """Two CoreDNS replicas, kept apart by pod anti-affinity on the node:
    required when the plan has two workers or more, preferred with one (a
    required rule would leave the second replica pending forever)."""
    path = f"{render}/_cluster/coredns.yaml"
    if not os.path.exists(path):
        return
    deploy = next(d for d in load_yaml(path)
                  if d.get("kind") == "Deployment" and d["metadata"]["name"] == "coredns")
    result(deploy["spec"].get("replicas") == 2,
           f"coredns: 2 replicas (has {deploy['spec'].get('replicas')})")
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    anti = _dig(deploy, "spec.template.spec.affinity.podAntiAffinity", {})
    required = anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])
    preferred = [p.get("podAffinityTerm", {})
                 for p in anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])]

    def apart(terms):
        """A term on the node's host name whose selector picks these pods."""
        for t in terms:
            sel = t.get("labelSelector", {})
            match = all(labels.get(k) == v for k, v in sel.get("matchLabels", {}).items())
            for e in sel.get("matchExpressions", []):
                match = match and e.get("operator") == "In" and labels.get(e["key"]) in e["values"]
            if t.get("topologyKey") == "kubernetes.io/hostname" and sel and match:
                return True
        return False
    if len(workers) >= 2:
        result(apart(required), "coredns: replicas required on different nodes "
               f"({len(workers)} workers)")
    else:
        result(apart(preferred) and not required,
               "coredns: replicas preferably on different nodes (one worker: not required)")


def check_secure(render):
    all_hosts, masters, workers = render_hosts(render)
    check_coredns(render, workers)
    for h in all_hosts:
        check_host_settings(render, h)
        check_kubelet_runtime(h)
        check_kubelet_api(h)
        check_pod_mounts(h)
        check_bootstrap_token(render, h, masters)
    check_authorization(render, masters)
    ssl = Openssl()
    try:
        for h in masters:
            check_node_ports(h)
            check_delegated_auth(h)
            check_control_plane_pki(h, ssl)
    finally:
        shutil.rmtree(ssl.dir)
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
    _, masters, workers = render_hosts(render)
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
    all_hosts, masters, workers = render_hosts(render)
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


# ---------------------------------------------------------------- ntp

TIMESYNCD_CONF = "/etc/systemd/timesyncd.conf.d/k8s-wizard.conf"


def check_ntp(render, want):
    """want: the plan's NTP servers, comma-separated, or "-" for none. Each
    host gets systemd-timesyncd's drop-in naming them in order, placed and
    then applied in prepare, after the check for another NTP service; with
    none, nothing about time sync is touched."""
    servers = [] if want == "-" else want.split(",")
    for h in hosts(render):
        files = manifest(render, h)
        text = steps(render, h)
        prepare = text.split("## phase prepare", 1)[-1].split("## phase ", 1)[0]
        if not servers:
            result(TIMESYNCD_CONF not in files and "timesyncd" not in text,
                   f"{h}: no NTP servers, time sync left alone")
            continue
        if TIMESYNCD_CONF not in files:
            result(False, f"{h}: {TIMESYNCD_CONF} placed")
            continue
        conf = configparser.ConfigParser(interpolation=None)
        conf.optionxform = str
        conf.read(f"{render}/{h}{TIMESYNCD_CONF}")
        result(conf.sections() == ["Time"] and dict(conf["Time"]) == {"NTP": " ".join(servers)},
               f"{h}: timesyncd's [Time] NTP= is {' '.join(servers)!r}")
        upload = prepare.find(f"# upload {TIMESYNCD_CONF}")
        other = prepare.find("systemctl is-active --quiet")
        restart = prepare.find("systemctl restart systemd-timesyncd")
        result(-1 < upload < restart and -1 < other < restart,
               f"{h}: in prepare, the drop-in placed and other NTP services ruled out "
               "before timesyncd restarts")
        result("systemctl enable systemd-timesyncd" in prepare,
               f"{h}: timesyncd enabled")


def main():
    check, render = sys.argv[1], sys.argv[2]
    if check == "syntax":
        check_syntax(render)
    elif check == "names":
        check_names(render, sys.argv[3])
    elif check == "consistency":
        check_consistency(render)
    elif check == "secure":
        check_secure(render)
    elif check == "addresses":
        check_addresses(render)
    elif check == "endpoint":
        check_endpoint(render, sys.argv[3])
    elif check == "ntp":
        check_ntp(render, sys.argv[3])
    else:
        sys.exit(f"unknown check {check}")
    print(f"# {check}: {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
