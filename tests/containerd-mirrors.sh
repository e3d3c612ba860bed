#!/bin/sh
# The registry mirrors of a plan, as `k8s-wizard render` writes them to
# /etc/containerd/certs.d/REGISTRY/hosts.toml, used by the real containerd
# (Debian's; its registry resolver is the one of the containerd the plan
# installs): for each accepted form of an endpoint (host:port, a final '/', a
# path, a path with /v2 at its end or at its start) an image is pulled
# through the rendered file from the lab's registry stand-in
# (tests/lab/registry-standin, plain HTTP on 127.0.0.1), which logs every
# path it is asked for and serves the image only at the API root the form
# stands for (grammar_mirror_root). The pull must succeed and every path asked
# for must be under that root. The image (an OCI manifest, its config and one
# layer) is built here. containerd runs with its root, state and socket under
# $TMP, as root or not (as root the image is unpacked too); the registries
# mirrored are 127.0.0.N:9, where nothing answers, so that a mirror that is
# not used fails the pull instead of reaching elsewhere. Skips (77) only when
# containerd is not installed or its daemon does not come up here.
. "$top_srcdir/tests/lib.sh"

for cmd in containerd ctr python3 sha256sum gzip tar; do
	command -v "$cmd" >/dev/null 2>&1 ||
		{ echo "SKIP: $cmd is not installed (contrib/dev.sh TEST_DEPS: containerd)"; exit 77; }
done

export K8SW_STATE_DIR="$TMP/state"
std="$top_srcdir/tests/lab/registry-standin"
repo=library/pause
tag=3.9

# The image: one layer holding one file, its config naming the layer's
# uncompressed digest, the manifest naming both by their stored digests.
img="$TMP/img"
mkdir -p "$img/blobs/sha256" "$img/rootfs"
echo "k8s-wizard mirror test layer" >"$img/rootfs/hello"
tar -C "$img/rootfs" --owner="$(id -u)" --group="$(id -g)" --numeric-owner --mtime=@0 -cf "$img/layer.tar" hello || fail "tar"
gzip -n -c "$img/layer.tar" >"$img/layer.tar.gz" || fail "gzip"
sum() { sha256sum "$1" | cut -d' ' -f1; }
diff_id=$(sum "$img/layer.tar")
layer=$(sum "$img/layer.tar.gz")
cp "$img/layer.tar.gz" "$img/blobs/sha256/$layer"
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
printf '{"architecture":"%s","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
	"$arch" "$diff_id" >"$img/config.json"
config=$(sum "$img/config.json")
cp "$img/config.json" "$img/blobs/sha256/$config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
	"$config" "$(wc -c <"$img/config.json")" "$layer" "$(wc -c <"$img/layer.tar.gz")" \
	>"$img/manifest.json"
manifest=$(sum "$img/manifest.json")

# N|endpoint path (after http://127.0.0.1:PORT)|the API root it stands for
cat >"$TMP/forms" <<'EOF'
1||/v2
2|/|/v2
3|/docker.io|/docker.io/v2
4|/mirror/v2/|/mirror/v2
5|/v2/docker.io|/v2/docker.io
EOF
roots=$(cut -d'|' -f3 "$TMP/forms" | sort -u | sed 's/^/--root /' | tr '\n' ' ')

# shellcheck disable=SC2086 # one --root per word
python3 "$std" --image "$img" --repo "$repo" --tag "$tag" $roots --log "$TMP/requests" \
	--port-file "$TMP/port" 2>"$TMP/standin.err" &
std_pid=$!
ctd_pid=
trap '[ -n "$ctd_pid" ] && kill "$ctd_pid" 2>/dev/null; kill "$std_pid" 2>/dev/null; wait; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/port" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] && kill -0 "$std_pid" 2>/dev/null ||
		fail "the registry stand-in did not start: $(cat "$TMP/standin.err")"
	sleep 0.1
done
port=$(cat "$TMP/port")

# The plan: the default one with a quick PKI and only these mirrors.
"$K8SW" plan init -o "$TMP/plan.yaml" --force >/dev/null || fail "plan init"
sed -i -e "s|^  bundleDir: .*|  bundleDir: $top_srcdir/tests/fixtures/bundle|" \
	-e 's/algorithm: rsa/algorithm: ecdsa/' -e 's/caKeySize: 4096/caKeySize: 256/' \
	-e 's/leafKeySize: 2048/leafKeySize: 256/' "$TMP/plan.yaml"
python3 - "$TMP/plan.yaml" "$TMP/forms" "$port" <<'EOF' || fail "could not set the mirrors"
import sys
import yaml
plan_path, forms_path, port = sys.argv[1:4]
with open(plan_path) as f:
    plan = yaml.safe_load(f)
with open(forms_path) as f:
    forms = [line.rstrip("\n").split("|") for line in f if line.strip()]
plan["registries"]["mirrors"] = {f"127.0.0.{n}:9": [f"http://127.0.0.1:{port}{p}"] for n, p, _ in forms}
with open(plan_path, "w") as f:
    yaml.safe_dump(plan, f, sort_keys=False)
EOF
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/out" >/dev/null 2>"$TMP/render.err" ||
	fail "render: $(cat "$TMP/render.err")"
certs="$TMP/out/node1/etc/containerd/certs.d"
[ -f "$certs/127.0.0.1:9/hosts.toml" ] || fail "render wrote no $certs/127.0.0.1:9/hosts.toml"

# containerd with only what a pull needs, nothing outside $TMP. Each pull is
# in a namespace of its own, whose content store is its own (isolated), so
# each one fetches every blob again.
mkdir -p "$TMP/ctd"
cat >"$TMP/ctd/config.toml" <<EOF
version = 2
root = "$TMP/ctd/root"
state = "$TMP/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
address = "$TMP/ctd/sock"
uid = $(id -u)
gid = $(id -g)
[ttrpc]
address = ""
uid = $(id -u)
gid = $(id -g)
[debug]
address = ""
[metrics]
address = ""
[plugins."io.containerd.metadata.v1.bolt"]
content_sharing_policy = "isolated"
EOF
containerd --config "$TMP/ctd/config.toml" >"$TMP/ctd/log" 2>&1 &
ctd_pid=$!
sock="$TMP/ctd/sock"
i=0
until ctr -a "$sock" version >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$ctd_pid" 2>/dev/null; then
		echo "SKIP: containerd does not run here:"
		tail -5 "$TMP/ctd/log"
		exit 77
	fi
	sleep 0.1
done

# As root the image is pulled and unpacked (native snapshotter: no overlayfs
# needed); without root its content is fetched only, since unpacking mounts.
# Either way ctr resolves through the hosts.toml the same way.
pull="images pull --snapshotter native"
[ "$(id -u)" = 0 ] || pull="content fetch"

# under ROOT: every requested path is under ROOT/, and the manifest, the
# config and the layer were each asked for there.
under() {
	_root=$1
	[ -s "$TMP/requests" ] || { echo "no request reached the stand-in"; return 1; }
	if awk -v r="$_root/" 'index($2, r) != 1 { print "asked for " $2; bad = 1 } END { exit bad }' \
		"$TMP/requests"; then :; else return 1; fi
	for p in "manifests/$tag" "blobs/sha256:$config" "blobs/sha256:$layer"; do
		awk -v want="$_root/$repo/$p" '$2 == want { found = 1 } END { exit !found }' \
			"$TMP/requests" || { echo "not asked for $_root/$repo/$p"; return 1; }
	done
}

while IFS='|' read -r n path root; do
	ref="127.0.0.$n:9/$repo:$tag"
	: >"$TMP/requests"
	pulled=no
	# shellcheck disable=SC2086 # $pull is words
	ctr -a "$sock" -n "k8sw$n" $pull --hosts-dir "$certs" "$ref" >"$TMP/pull.out" 2>&1 &&
		pulled=yes
	[ "$pulled" = yes ] || tail -3 "$TMP/pull.out" >&2
	check "endpoint http://127.0.0.1:PORT$path: the pull of $ref succeeds" [ "$pulled" = yes ]
	check "endpoint http://127.0.0.1:PORT$path: containerd asked only under $root" under "$root"
	sed "s/^/  /" "$TMP/requests"
	check "endpoint http://127.0.0.1:PORT$path: the image is the one served" sh -c \
		"ctr -a '$sock' -n 'k8sw$n' images ls | awk -v r='$ref' '\$1 == r { print \$3 }' |
			grep -qx 'sha256:$manifest'"
done <"$TMP/forms"

[ "$failures" = 0 ] || fail "$failures checks failed"
pass "containerd pulled through every rendered mirror form at its API root"
