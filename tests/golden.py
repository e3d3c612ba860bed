#!/usr/bin/env python3
"""Golden comparison of a render of the default plan with the guide's files.

Usage: golden.py SPEC GUIDE_DIR RENDER_DIR DEVIATIONS_MD

SPEC (tests/golden/guide.yaml) maps rendered files to the guide's files and
lists the deviations applied to the guide's side first. Every deviation id
must be a section of DEVIATIONS_MD, and every section must be used by the
spec. Prints one line per file; exits 1 on any difference."""

import copy
import posixpath
import re
import sys
import tomllib

import yaml


class Mismatch(Exception):
    pass


def load(path, fmt):
    with open(path, "rb") as f:
        data = f.read()
    if fmt == "toml":
        return tomllib.loads(data.decode())
    if fmt == "yaml":
        docs = [d for d in yaml.safe_load_all(data) if d is not None]
        return docs[0] if len(docs) == 1 else docs
    lines = []
    for line in data.decode().splitlines():
        line = " ".join(line.split())
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def walk(tree, path, create=False):
    """The container holding the last element of path, and that element."""
    node = tree
    for key in path[:-1]:
        if isinstance(node, dict) and key not in node and create:
            node[key] = {}
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise Mismatch(f"path {path}: no {key!r} in the guide's file")
    return node, path[-1]


def apply(tree, dev):
    for path in dev.get("delete", []):
        node, key = walk(tree, path)
        there = 0 <= key < len(node) if isinstance(node, list) else key in node
        if not there:
            raise Mismatch(f"{dev['id']}: delete {path}: not in the guide's file")
        del node[key]
    for op in dev.get("set", []):
        node, key = walk(tree, op["path"], create=True)
        node[key] = op["value"]
    for op in dev.get("rename", []):
        node, key = walk(tree, op["path"])
        if key not in node:
            raise Mismatch(f"{dev['id']}: rename {op['path']}: not in the guide's file")
        node[op["to"]] = node.pop(key)
    for op in dev.get("list_replace", []):
        node, key = walk(tree, op["path"])
        items = node[key]
        if op["old"] not in items:
            raise Mismatch(f"{dev['id']}: {op['old']!r} not in {op['path']}")
        items[items.index(op["old"])] = op["new"]
    for op in dev.get("list_remove", []):
        node, key = walk(tree, op["path"])
        if op["item"] not in node[key]:
            raise Mismatch(f"{dev['id']}: {op['item']!r} not in {op['path']}")
        node[key].remove(op["item"])
    for op in dev.get("list_insert", []):
        node, key = walk(tree, op["path"])
        anchor = op["after"] if "after" in op else op["before"]
        if anchor not in node[key]:
            raise Mismatch(f"{dev['id']}: {anchor!r} not in {op['path']}")
        at = node[key].index(anchor) + ("after" in op)
        node[key][at:at] = op["items"]
    for op in dev.get("str_replace", []):
        node, key = walk(tree, op["path"])
        if op["old"] not in node[key]:
            raise Mismatch(f"{dev['id']}: {op['old']!r} not in {op['path']}")
        node[key] = node[key].replace(op["old"], op["new"])
    for line in dev.get("lines_remove", []):
        line = " ".join(line.split())
        if line not in tree:
            raise Mismatch(f"{dev['id']}: line {line!r} not in the guide's file")
        tree.remove(line)
    for op in dev.get("lines_replace", []):
        old, new = " ".join(op["old"].split()), " ".join(op["new"].split())
        if old not in tree:
            raise Mismatch(f"{dev['id']}: line {old!r} not in the guide's file")
        tree[tree.index(old)] = new
    for op in dev.get("lines_insert", []):
        after = " ".join(op["after"].split())
        if after not in tree:
            raise Mismatch(f"{dev['id']}: line {after!r} not in the guide's file")
        at = tree.index(after) + 1
        tree[at:at] = [" ".join(l.split()) for l in op["lines"]]


def parse_embedded(tree, paths):
    for path in paths:
        node, key = walk(tree, path)
        node[key] = yaml.safe_load(node[key])


def first_difference(a, b, where="."):
    """A readable description of the first place two trees differ."""
    if type(a) is not type(b):
        return f"{where}: guide {a!r} != rendered {b!r}"
    if isinstance(a, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in b:
                return f"{where}{k}: only in the guide ({a[k]!r})"
            if k not in a:
                return f"{where}{k}: only in the render ({b[k]!r})"
            d = first_difference(a[k], b[k], f"{where}{k}.")
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}[{i}].")
            if d:
                return d
        if len(a) != len(b):
            return f"{where}: {len(a)} items in the guide, {len(b)} rendered"
        return None
    return None if a == b else f"{where}: guide {a!r} != rendered {b!r}"


def mirror_api_root(endpoint):
    """Where a plan's mirror endpoint has its registry API, by the rule of
    doc/deviations.md (containerd-mirrors): no path, SCHEME://HOST/v2; a path
    with a v2 segment, that path; any other path, PATH/v2."""
    scheme, rest = endpoint.split("://", 1)
    host, slash, path = rest.partition("/")
    path = ("/" + path).rstrip("/") if slash else ""
    if path and "v2" not in path.split("/"):
        path += "/v2"
    return f"{scheme}://{host}{path or '/v2'}"


def containerd_api_root(key, override_path):
    """Where containerd (remotes/docker/config/hosts.go, parseHostConfig, the
    same in 1.6, 1.7 and 2.0) sends the requests of a [host."KEY"] table."""
    scheme, rest = key.split("://", 1)
    host, slash, path = rest.partition("/")
    path = posixpath.normpath("/" + path) if slash else ""
    if not override_path and not path.endswith("/v2"):
        path += "/v2"
    return f"{scheme}://{host}{path}"


def check_hosts_toml(guide_tree, path, render_dir, host, replaced):
    """The guide's registry.mirrors, each now a hosts.toml of its registry,
    each endpoint (or what a deviation put in its place: replaced) where
    containerd finds its API under our rule."""
    node, key = walk(guide_tree, path)
    for registry, conf in node[key].items():
        hosts_path = f"{render_dir}/{host}/etc/containerd/certs.d/{registry}/hosts.toml"
        with open(hosts_path, "rb") as f:
            hosts = tomllib.load(f)["host"]
        if len(hosts) != len(conf["endpoint"]):
            raise Mismatch(f"{hosts_path}: hosts {list(hosts)} != guide {conf['endpoint']}")
        for (url, h), endpoint in zip(hosts.items(), conf["endpoint"]):
            endpoint = replaced.get(endpoint, endpoint)
            if h.get("capabilities") != ["pull", "resolve"]:
                raise Mismatch(f"{hosts_path}: {url} is not a pull mirror")
            got = containerd_api_root(url, h.get("override_path", False))
            if got != mirror_api_root(endpoint):
                raise Mismatch(f"{hosts_path}: {url}: containerd would use the API at {got}, "
                               f"not {mirror_api_root(endpoint)} for {endpoint}")


def main():
    spec_path, guide_dir, render_dir, doc = sys.argv[1:5]
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    with open(doc) as f:
        documented = set(re.findall(r"^## ([a-z0-9-]+):", f.read(), re.M))
    used = set(spec.get("elsewhere", []))
    failures = 0
    for entry in spec["files"]:
        rendered = entry["rendered"]
        try:
            if "same_as" in entry:
                a = load(f"{render_dir}/{entry['same_as']}", "text")
                b = load(f"{render_dir}/{rendered}", "text")
                if a != b:
                    raise Mismatch(f"differs from {entry['same_as']}")
                print(f"ok - {rendered} (same as {entry['same_as']})")
                continue
            fmt = entry["format"]
            guide = load(f"{guide_dir}/{entry['guide']}", fmt)
            mine = load(f"{render_dir}/{rendered}", fmt)
            original = copy.deepcopy(guide)
            replaced = {}
            for dev in entry.get("deviations", []):
                replaced.update(dev.get("mirror_endpoints", {}))
            ids = []
            for dev in entry.get("deviations", []):
                ids.append(dev["id"])
                used.add(dev["id"])
                if dev["id"] not in documented:
                    raise Mismatch(f"deviation {dev['id']} is not a section of {doc}")
                apply(guide, dev)
                if "mirrors_to_hosts_toml" in dev:
                    check_hosts_toml(original, dev["mirrors_to_hosts_toml"], render_dir,
                                     rendered.split("/")[0], replaced)
            parse_embedded(guide, entry.get("parse", []))
            parse_embedded(mine, entry.get("parse", []))
            diff = first_difference(guide, mine)
            if diff:
                raise Mismatch(diff)
            extra = f" apart from {', '.join(ids)}" if ids else ""
            print(f"ok - {rendered} equals the guide's {entry['guide']}{extra}")
        except (Mismatch, OSError) as e:
            print(f"not ok - {rendered}: {e}")
            failures += 1
    for dev in sorted(documented - used):
        print(f"not ok - {doc}: section {dev} is used by no comparison and not listed "
              "under elsewhere")
        failures += 1
    for dev in sorted(used - documented):
        print(f"not ok - {dev} is not a section of {doc}")
        failures += 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
