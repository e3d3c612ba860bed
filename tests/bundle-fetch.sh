#!/bin/sh
# bundle fetch and bundle check against a stand-in release server on
# 127.0.0.1 (tests/lab/release-server.py) serving files this test makes in
# the upstream layouts: mirror fallback, a wrong checksum, a download cut off
# and resumed, a server ignoring Range, 404 everywhere, kubelet-csr-approver's
# manifest joined from its four files (and rendered), and the check table.
# Every fetch runs with --no-official: nothing leaves the loopback.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
# 127.0.0.1 is reached directly; any other address would go through a proxy
# on a closed loopback port and fail there, should a fetch (or --list) ever
# try the official locations or the example mirror.
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
	HTTPS_PROXY=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export HOME="$TMP/home" K8SW_STATE_DIR="$TMP/state"
mkdir -p "$HOME"

# --- the upstream files -------------------------------------------------------
"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"
python3 - "$TMP/up" "$top_srcdir/tests/fixtures/bundle/manifests" <<'EOF' || fail "making the fake upstream"
import hashlib, io, os, shutil, struct, sys, tarfile
up, fixtures = sys.argv[1], sys.argv[2]

def elf(name, machine=62, size=4096):
    # A fake x86-64 ELF header and a body that names the file: enough for
    # bundle check, never run.
    head = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HH", 2, machine)
    body = ("fake %s for the k8s-wizard bundle tests\n" % name).encode()
    data = head + body * (size // len(body) + 1)
    return data[:size]

def put(rel, data):
    path = os.path.join(up, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)

def sha(data):
    return hashlib.sha256(data).hexdigest()

def tgz(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o755
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

k = "release/v1.29.7/bin/linux/amd64/"
for name, size in (("kubelet", 300000), ("kubectl", 20000)):
    data = elf(name, size=size)
    put(k + name, data)
    put(k + name + ".sha256", sha(data).encode())   # dl.k8s.io: the bare hash
    put("expect/" + name, data)
c = "containerd/containerd/releases/download/v1.7.20/"
tar = tgz([("bin/containerd", elf("containerd")), ("bin/containerd-stress", elf("stress")),
           ("bin/containerd-shim-runc-v2", elf("shim")), ("bin/ctr", elf("ctr"))])
put(c + "containerd-1.7.20-linux-amd64.tar.gz", tar)
put(c + "containerd-1.7.20-linux-amd64.tar.gz.sha256sum",
    ("%s  containerd-1.7.20-linux-amd64.tar.gz\n" % sha(tar)).encode())
put("expect/containerd", elf("containerd"))
put("expect/ctr", elf("ctr"))
r = "opencontainers/runc/releases/download/v1.1.13/"
runc, other = elf("runc"), elf("runc-arm64", machine=183)
put(r + "runc.amd64", runc)
put(r + "runc.sha256sum", ("%s  runc.arm64\n%s  runc.amd64\n" % (sha(other), sha(runc))).encode())
put("expect/runc", runc)
put("expect/runc-arm64", other)
t = "kubernetes-sigs/cri-tools/releases/download/v1.29.0/"
tar = tgz([("crictl", elf("crictl"))])
put(t + "crictl-v1.29.0-linux-amd64.tar.gz", tar)
put(t + "crictl-v1.29.0-linux-amd64.tar.gz.sha256", sha(tar).encode())
for src, rel in (("calico.yaml", "projectcalico/calico/v3.27.4/manifests/calico.yaml"),
                 ("metrics-server.yaml",
                  "kubernetes-sigs/metrics-server/releases/download/v0.7.1/components.yaml")):
    with open(os.path.join(fixtures, src), "rb") as f:
        put(rel, f.read())

# kubelet-csr-approver's deploy/k8s/, hand-written stand-ins of the shape of
# upstream's files: clusterrole.yaml starts with "---", rolebinding.yaml has
# no final newline, and the image is tagged "latest" as upstream's is.
a = "postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/"
sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: kubelet-csr-approver\n" \
     "  namespace: kube-system\n"
cr = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n" \
     "  name: kubelet-csr-approver\nrules:\n- apiGroups:\n  - certificates.k8s.io\n" \
     "  resources:\n  - certificatesigningrequests\n  verbs:\n  - get\n"
rb = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n" \
     "  name: kubelet-csr-approver\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n" \
     "  kind: ClusterRole\n  name: kubelet-csr-approver\nsubjects:\n" \
     "- kind: ServiceAccount\n  name: kubelet-csr-approver\n  namespace: kube-system"
dp = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kubelet-csr-approver\n" \
     "  namespace: kube-system\nspec:\n  selector:\n    matchLabels:\n" \
     "      app: kubelet-csr-approver\n  template:\n    metadata:\n      labels:\n" \
     "        app: kubelet-csr-approver\n    spec:\n" \
     "      serviceAccountName: kubelet-csr-approver\n      containers:\n" \
     "        - name: kubelet-csr-approver\n" \
     "          image: postfinance/kubelet-csr-approver:latest\n          env:\n" \
     "            - name: PROVIDER_REGEX\n              value: ^[ab]\\.stand-in\\.test$\n" \
     "            - name: PROVIDER_IP_PREFIXES\n              value: \"0.0.0.0/0\"\n"
put(a + "serviceaccount.yaml", sa.encode())
put(a + "clusterrole.yaml", ("---\n" + cr).encode())
put(a + "rolebinding.yaml", rb.encode())
put(a + "deployment.yaml", dp.encode())
# What the join must give: the four objects in that order, one "---" between
# each two, every one ending in a newline.
put("expect/kubelet-csr-approver.yaml", "---\n".join([sa, cr, rb + "\n", dp]).encode())
EOF

# serve NAME ROOT [server options]: start a stand-in release server on
# 127.0.0.1 serving ROOT; sets URL (its base) and LOG.
serve() {
	_name=$1
	_root=$2
	shift 2
	LOG="$TMP/$_name.log"
	python3 "$top_srcdir/tests/lab/release-server.py" --root "$_root" \
		--port-file "$TMP/$_name.port" --log "$LOG" "$@" 2>"$TMP/$_name.err" &
	echo $! >>"$TMP/servers"
	_i=0
	while [ ! -s "$TMP/$_name.port" ]; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || fail "the stand-in server $_name did not start: $(cat "$TMP/$_name.err")"
		sleep 0.1
	done
	URL="http://127.0.0.1:$(cat "$TMP/$_name.port")"
}
trap 'for p in $(cat "$TMP/servers" 2>/dev/null); do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# fetch DIR ARGS...: bundle fetch of the plan into DIR, never the official
# locations; output in $TMP/out, errors in $TMP/err, status in $rc.
fetch() {
	_dir=$1
	shift
	"$K8SW" bundle fetch -f "$TMP/plan.yaml" --dir "$_dir" --no-official "$@" \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
}

mkdir -p "$TMP/www/empty"
cp -r "$TMP/up" "$TMP/www/good"
serve main "$TMP/www"
MAIN=$URL

# --- mirror fallback: the first mirror has nothing, the second everything ------
fetch "$TMP/b1" --mirror "$MAIN/empty" --mirror "$MAIN/good/"
check "fetch through the second mirror succeeds" test "$rc" = 0
[ "$rc" = 0 ] || cat "$TMP/out" "$TMP/err" >&2
check "the first mirror was asked first and answered 404" \
	grep -q "^GET /empty/release/v1.29.7/bin/linux/amd64/kubelet.sha256 range=- 404" "$LOG"
check "the second mirror served kubelet" \
	grep -q "^GET /good/release/v1.29.7/bin/linux/amd64/kubelet range=- 200$" "$LOG"
for f in kubelet kubectl containerd ctr runc; do
	check "bin/$f is the upstream's file" cmp -s "$TMP/up/expect/$f" "$TMP/b1/bin/$f"
done
check "crictl and the shim were extracted" test -s "$TMP/b1/bin/crictl" -a \
	-s "$TMP/b1/bin/containerd-shim-runc-v2"
check "a member the bundle does not use is not extracted" test ! -e "$TMP/b1/bin/containerd-stress"
check "binaries are 0755" test "$(stat -c %a "$TMP/b1/bin/kubelet" "$TMP/b1/bin/ctr" | sort -u)" = 755
check "manifests are 0644" test "$(stat -c %a "$TMP/b1/manifests/calico.yaml")" = 644
check "kubelet is reported verified" grep -q "^bin/kubelet: done, sha256 [0-9a-f]\{64\} (verified" "$TMP/out"
check "calico.yaml is reported NOT verified" \
	grep -q "^manifests/calico.yaml: done, sha256 [0-9a-f]\{64\}: NOT verified" "$TMP/out"
check "the lock records calico.yaml unverified with its sha256" \
	grep -q "^manifests/calico.yaml	$(sha256sum <"$TMP/b1/manifests/calico.yaml" | cut -d' ' -f1)	v3.27.4	unverified	$MAIN/good/projectcalico/" \
	"$TMP/b1/bundle.lock"
check "the lock records kubelet verified" \
	grep -q "^bin/kubelet	$(sha256sum <"$TMP/up/expect/kubelet" | cut -d' ' -f1)	v1.29.7	verified	" \
	"$TMP/b1/bundle.lock"
csr="$TMP/b1/manifests/kubelet-csr-approver.yaml"
check "kubelet-csr-approver.yaml is joined from the four files, in order" \
	cmp -s "$TMP/up/expect/kubelet-csr-approver.yaml" "$csr"
cmp -s "$TMP/up/expect/kubelet-csr-approver.yaml" "$csr" || diff "$TMP/up/expect/kubelet-csr-approver.yaml" "$csr" >&2
check "its documents: ServiceAccount, ClusterRole, ClusterRoleBinding, Deployment" test \
	"$(grep -e '^kind:' -e '^---' "$csr" | tr '\n' ' ')" = \
	"kind: ServiceAccount --- kind: ClusterRole --- kind: ClusterRoleBinding --- kind: Deployment "
check "clusterrole.yaml's own leading --- is not doubled" test "$(grep -c '^---$' "$csr")" = 3
check "rolebinding.yaml's missing final newline is added: no object runs into a ---" \
	test -z "$(grep -e '.---$' "$csr")"
check "every part was asked for from the mirror" test \
	"$(grep -c '^GET /good/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/[a-z]*\.yaml range=- 200$' "$LOG")" = 4
check "kubelet-csr-approver.yaml is 0644" test "$(stat -c %a "$csr")" = 644
check "kubelet-csr-approver.yaml is reported NOT verified" \
	grep -q "^manifests/kubelet-csr-approver.yaml: done, sha256 [0-9a-f]\{64\}: NOT verified" "$TMP/out"
check "the lock records it unverified, with the tag and its parts' URL" \
	grep -q "^manifests/kubelet-csr-approver.yaml	$(sha256sum <"$csr" | cut -d' ' -f1)	v1.2.2	unverified	$MAIN/good/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/{serviceaccount,clusterrole,rolebinding,deployment}.yaml$" \
	"$TMP/b1/bundle.lock"
check "nothing left to resume" test ! -e "$TMP/b1/.download"

# A second run fetches nothing.
: >"$LOG"
fetch "$TMP/b1" --mirror "$MAIN/good"
check "a second fetch succeeds" test "$rc" = 0
check "a second fetch downloads nothing" test "$(grep -c '^GET' "$LOG")" = 0
check "a second fetch says the files are there" grep -q "^bin/kubelet: already in the bundle" "$TMP/out"

# --- the fetched bundle renders ---------------------------------------------------
sed "s|^  bundleDir: .*|  bundleDir: $TMP/b1|" "$TMP/plan.yaml" >"$TMP/plan-b1.yaml"
K8SW_STATE_DIR="$TMP/render-state" "$K8SW" render -f "$TMP/plan-b1.yaml" --out "$TMP/render" \
	>"$TMP/render.out" 2>&1
rc=$?
check "render of the default plan with the fetched bundle: status 0" test "$rc" = 0
[ "$rc" = 0 ] || cat "$TMP/render.out" >&2
rcsr="$TMP/render/_cluster/kubelet-csr-approver.yaml"
check "the rendered approver has the four objects, in order" test \
	"$(grep '^kind:' "$rcsr" | tr '\n' ' ')" = \
	"kind: ServiceAccount kind: ClusterRole kind: ClusterRoleBinding kind: Deployment "
check "the rendered approver has the plan's env and image" test \
	"$(grep -A1 -e 'name: PROVIDER_REGEX' -e 'name: PROVIDER_IP_PREFIXES' "$rcsr" | grep value: | tr -s ' ')" = \
	" value: ^node[0-9]+$
 value: \"10.1.1.0/24\"" -a -n "$(grep 'image: .*kubelet-csr-approver:v1.2.2$' "$rcsr")"

# --- bundle check --------------------------------------------------------------
"$K8SW" bundle check -f "$TMP/plan.yaml" --dir "$TMP/b1" >"$TMP/check" 2>&1
rc=$?
check "check of a complete bundle: status 0" test "$rc" = 0
[ "$rc" = 0 ] || cat "$TMP/check" >&2
check "check shows kubelet present, versions, x86-64, matching lock" \
	grep -q "^bin/kubelet  *present  *v1.29.7  *v1.29.7  *x86-64  *matches lock (upstream-verified)" "$TMP/check"
check "check judges the fetched approver by the lock (v1.2.2, not its image's latest)" \
	grep -q "^manifests/kubelet-csr-approver.yaml  *present  *v1.2.2  *v1.2.2  *-  *matches lock (NOT upstream-verified)" "$TMP/check"
check "check says 10 of 10" grep -q "^10 of 10 files present$" "$TMP/check"
mkdir -p "$TMP/hand/manifests"
cp "$top_srcdir/tests/fixtures/bundle/manifests/kubelet-csr-approver.yaml" "$TMP/hand/manifests/"
"$K8SW" bundle check -f "$TMP/plan.yaml" --dir "$TMP/hand" >"$TMP/check" 2>&1
check "check shows a hand-made manifest as not recorded, its image's version" \
	grep -q "^manifests/kubelet-csr-approver.yaml  *present  *v1.2.2  *v1.2.2  *-  *not recorded" "$TMP/check"

rm "$TMP/b1/bin/ctr"
printf 'x' >>"$TMP/b1/bin/kubelet"
cp "$TMP/up/expect/runc-arm64" "$TMP/b1/bin/runc"
"$K8SW" bundle check -f "$TMP/plan.yaml" --dir "$TMP/b1" >"$TMP/check" 2>&1
rc=$?
check "check of a broken bundle: status 1" test "$rc" = 1
check "a removed file is MISSING" grep -q "^bin/ctr  *MISSING" "$TMP/check"
check "a changed file is WRONG, differs from the lock" \
	grep -q "^bin/kubelet  *WRONG .*differs from lock" "$TMP/check"
check "an arm64 binary is WRONG by its ELF header" \
	grep -q "^bin/runc  *WRONG .*aarch64" "$TMP/check"
check "and said so" grep -q "^    built for aarch64; the hosts need x86-64$" "$TMP/check"
check "the summary names them" \
	grep -q "^7 of 10 files present; missing: bin/ctr; wrong: bin/runc, bin/kubelet$" "$TMP/check"
"$K8SW" bundle check --dir "$TMP/b1" >/dev/null 2>&1
check "check without a plan: status 2" test $? = 2

# --- a wrong checksum: refused and removed ---------------------------------------
mkdir -p "$TMP/www/bad"
cp -r "$TMP/up/." "$TMP/www/bad/"
echo 0000000000000000000000000000000000000000000000000000000000000000 \
	>"$TMP/www/bad/release/v1.29.7/bin/linux/amd64/kubelet.sha256"
fetch "$TMP/b2" --mirror "$MAIN/bad"
check "a wrong checksum: status 1" test "$rc" = 1
check "the error names the URL, expected and got" \
	grep -q "$MAIN/bad/release/v1.29.7/bin/linux/amd64/kubelet: sha256 mismatch: expected 0\{64\}, got $(sha256sum <"$TMP/up/expect/kubelet" | cut -d' ' -f1)" "$TMP/err"
check "the refused file is not in the bundle" test ! -e "$TMP/b2/bin/kubelet"
check "nor is its .part" test -z "$(ls "$TMP/b2/.download" 2>/dev/null | grep kubelet)"
check "kubectl, which matched, is there" cmp -s "$TMP/up/expect/kubectl" "$TMP/b2/bin/kubectl"

# --- an archive without the member the bundle needs ------------------------------
mkdir -p "$TMP/www/nocrictl"
cp -r "$TMP/up/." "$TMP/www/nocrictl/"
python3 - "$TMP/www/nocrictl/kubernetes-sigs/cri-tools/releases/download/v1.29.0" <<'EOF'
import hashlib, io, sys, tarfile
d = sys.argv[1]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    data = b"not crictl\\n"
    ti = tarfile.TarInfo("README.md")
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
open(d + "/crictl-v1.29.0-linux-amd64.tar.gz", "wb").write(buf.getvalue())
open(d + "/crictl-v1.29.0-linux-amd64.tar.gz.sha256", "w").write(hashlib.sha256(buf.getvalue()).hexdigest())
EOF
fetch "$TMP/b7" --mirror "$MAIN/nocrictl"
check "an archive without crictl: status 1" test "$rc" = 1
check "the error says crictl is not in the archive" grep -q "^  crictl is not in the archive $MAIN/nocrictl/kubernetes-sigs/cri-tools/releases/download/v1.29.0/crictl-v1.29.0-linux-amd64.tar.gz$" "$TMP/err"
check "no crictl in the bundle" test ! -e "$TMP/b7/bin/crictl"
check "nor its archive left to resume" test -z "$(ls "$TMP/b7/.download" 2>/dev/null)"
check "the other files were fetched" cmp -s "$TMP/up/expect/kubelet" "$TMP/b7/bin/kubelet"

# --- kubelet-csr-approver: a part missing, or of another shape -----------------
mkdir -p "$TMP/www/nodeploy"
cp -r "$TMP/up/." "$TMP/www/nodeploy/"
rm "$TMP/www/nodeploy/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml"
: >"$LOG"
fetch "$TMP/b10" --mirror "$MAIN/nodeploy" --mirror "$MAIN/good"
check "a part missing on the first mirror: status 0" test "$rc" = 0
[ "$rc" = 0 ] || cat "$TMP/out" "$TMP/err" >&2
check "the first mirror answered 404 for deployment.yaml" \
	grep -q "^GET /nodeploy/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml range=- 404$" "$LOG"
check "and was said so" \
	grep -q "^manifests/kubelet-csr-approver.yaml: failed: $MAIN/nodeploy/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml: HTTP status 404$" "$TMP/out"
check "the second mirror served all four parts" test \
	"$(grep -c '^GET /good/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/[a-z]*\.yaml range=- 200$' "$LOG")" = 4
check "the file joined from the second is right" \
	cmp -s "$TMP/up/expect/kubelet-csr-approver.yaml" "$TMP/b10/manifests/kubelet-csr-approver.yaml"
check "the lock names the second mirror" \
	grep -q "^manifests/kubelet-csr-approver.yaml	.*	$MAIN/good/postfinance/" "$TMP/b10/bundle.lock"
check "no part left behind" test ! -e "$TMP/b10/.download"

fetch "$TMP/b11" --mirror "$MAIN/nodeploy"
check "a part missing everywhere: status 1" test "$rc" = 1
check "the error names the file and the part's URL" test \
	"$(grep -A1 'manifests/kubelet-csr-approver.yaml: could not be fetched:$' "$TMP/err" | tail -1)" = \
	"  $MAIN/nodeploy/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml: HTTP status 404"
check "nothing half-written: no manifest" test ! -e "$TMP/b11/manifests/kubelet-csr-approver.yaml"
check "nor parts left behind" test ! -e "$TMP/b11/.download"
check "nor a lock entry" test -z "$(grep kubelet-csr-approver "$TMP/b11/bundle.lock")"

mkdir -p "$TMP/www/othershape"
cp -r "$TMP/up/." "$TMP/www/othershape/"
sed -i "s/- name: kubelet-csr-approver/- name: approver/" \
	"$TMP/www/othershape/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml"
fetch "$TMP/b12" --mirror "$MAIN/othershape"
check "parts of another shape: status 1" test "$rc" = 1
check "the error says what render would miss" \
	grep -q "^  $MAIN/othershape/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/{serviceaccount,clusterrole,rolebinding,deployment}.yaml: not the manifest expected, not written: .*kubelet-csr-approver" "$TMP/err"
check "and nothing was written" test ! -e "$TMP/b12/manifests/kubelet-csr-approver.yaml"

# --- a download cut off mid-file is resumed with a Range request ----------------
serve drop "$TMP/up" --drop /kubelet:100000
fetch "$TMP/b3" --mirror "$URL"
check "a cut-off download: status 0" test "$rc" = 0
[ "$rc" = 0 ] || cat "$TMP/out" "$TMP/err" >&2
check "the server dropped kubelet after 100000 bytes" \
	grep -q "^GET /release/v1.29.7/bin/linux/amd64/kubelet range=- 200 dropped-after-100000" "$LOG"
check "the rest was asked for with a Range" \
	grep -q "^GET /release/v1.29.7/bin/linux/amd64/kubelet range=bytes=100000- 206$" "$LOG"
check "the resumed kubelet is right" cmp -s "$TMP/up/expect/kubelet" "$TMP/b3/bin/kubelet"
check "the resumption was shown" grep -q "^bin/kubelet: from .*, resuming after 100000 bytes" "$TMP/out"

# A plan of another version: the lock says the files are of this one.
sed "s/kubernetes: v1.29.7/kubernetes: v1.29.8/" "$TMP/plan.yaml" >"$TMP/plan2.yaml"
"$K8SW" bundle check -f "$TMP/plan2.yaml" --dir "$TMP/b3" >"$TMP/check" 2>&1
check "check with another version in the plan: status 1" test $? = 1
check "kubelet of another version is WRONG" \
	grep -q "^bin/kubelet  *WRONG  *v1.29.7  *v1.29.8 " "$TMP/check"
check "and said so" grep -q "^    version v1.29.7; the plan asks for v1.29.8$" "$TMP/check"

# A .part left by an earlier run is continued too.
mkdir -p "$TMP/b4/.download"
part="$TMP/b4/.download/release_v1.29.7_bin_linux_amd64_kubelet.part"
head -c 5000 "$TMP/up/expect/kubelet" >"$part"
serve resume "$TMP/up"
fetch "$TMP/b4" --mirror "$URL"
check "an earlier .part: status 0" test "$rc" = 0
check "an earlier .part is continued with a Range" \
	grep -q "^GET /release/v1.29.7/bin/linux/amd64/kubelet range=bytes=5000- 206$" "$LOG"
check "the continued kubelet is right" cmp -s "$TMP/up/expect/kubelet" "$TMP/b4/bin/kubelet"

# A server that ignores Range: the .part (here not even a beginning of the
# file) is dropped and the file fetched whole.
mkdir -p "$TMP/b5/.download"
head -c 5000 /dev/zero >"$TMP/b5/.download/release_v1.29.7_bin_linux_amd64_kubelet.part"
serve norange "$TMP/up" --ignore-range
fetch "$TMP/b5" --mirror "$URL"
check "a server without Range: status 0" test "$rc" = 0
[ "$rc" = 0 ] || cat "$TMP/out" "$TMP/err" >&2
check "the Range was asked and answered whole" \
	grep -q "^GET /release/v1.29.7/bin/linux/amd64/kubelet range=bytes=5000- 200$" "$LOG"
check "the file was fetched again from its start" cmp -s "$TMP/up/expect/kubelet" "$TMP/b5/bin/kubelet"

# --- 404 everywhere ----------------------------------------------------------------
fetch "$TMP/b6" --mirror "$MAIN/empty" --mirror "$MAIN/empty2"
check "404 everywhere: status 1" test "$rc" = 1
check "the error names each URL tried, with the 404" \
	grep -q "^  $MAIN/empty2/release/v1.29.7/bin/linux/amd64/kubelet.sha256: HTTP status 404$" "$TMP/err"
check "and the file" grep -q "bin/kubelet: could not be fetched:" "$TMP/err"
check "kubelet-csr-approver: the error names its first part on each mirror" test \
	"$(grep -A2 'manifests/kubelet-csr-approver.yaml: could not be fetched:$' "$TMP/err" | tail -2)" = \
	"  $MAIN/empty/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/serviceaccount.yaml: HTTP status 404
  $MAIN/empty2/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/serviceaccount.yaml: HTTP status 404"
check "no kubelet-csr-approver.yaml" test ! -e "$TMP/b6/manifests/kubelet-csr-approver.yaml"
check "nothing reached the bundle" test -z "$(ls "$TMP/b6/bin")"
check "nor is anything left to resume" test ! -e "$TMP/b6/.download"

# --- progress: a bar per file on a terminal, none elsewhere ----------------------
if command -v script >/dev/null; then
	script -qec "'$K8SW' bundle fetch -f '$TMP/plan.yaml' --dir '$TMP/b8' --no-official --mirror '$MAIN/good'" \
		/dev/null </dev/null >"$TMP/tty" 2>&1
	check "on a terminal: status 0" test $? = 0
	check "on a terminal: kubelet's bar reaches 100%" \
		grep -q "bin/kubelet  *\[#\{30\}\] 100%" "$TMP/tty"
	check "on a terminal: each archive has its bar too" grep -q "bin/crictl  *\[#\{30\}\] 100%" "$TMP/tty"
fi
fetch "$TMP/b9" --mirror "$MAIN/good"
check "elsewhere: status 0" test "$rc" = 0
check "elsewhere: no bar" test -z "$(grep -F '[###' "$TMP/out")"
check "elsewhere: a line per file" grep -q "^bin/kubelet: done" "$TMP/out"

# --- the official locations, as --list prints them (nothing is fetched) -----------
"$K8SW" bundle fetch -f "$TMP/plan.yaml" --list >"$TMP/list" 2>&1
check "--list: status 0" test $? = 0
cat >"$TMP/list.expected" <<'EOF'
bin/containerd https://github.com/containerd/containerd/releases/download/v1.7.20/containerd-1.7.20-linux-amd64.tar.gz
bin/containerd https://github.com/containerd/containerd/releases/download/v1.7.20/containerd-1.7.20-linux-amd64.tar.gz.sha256sum
bin/runc https://github.com/opencontainers/runc/releases/download/v1.1.13/runc.amd64
bin/runc https://github.com/opencontainers/runc/releases/download/v1.1.13/runc.sha256sum
bin/crictl https://github.com/kubernetes-sigs/cri-tools/releases/download/v1.29.0/crictl-v1.29.0-linux-amd64.tar.gz
bin/crictl https://github.com/kubernetes-sigs/cri-tools/releases/download/v1.29.0/crictl-v1.29.0-linux-amd64.tar.gz.sha256
bin/kubelet https://dl.k8s.io/release/v1.29.7/bin/linux/amd64/kubelet
bin/kubelet https://dl.k8s.io/release/v1.29.7/bin/linux/amd64/kubelet.sha256
bin/kubectl https://dl.k8s.io/release/v1.29.7/bin/linux/amd64/kubectl
bin/kubectl https://dl.k8s.io/release/v1.29.7/bin/linux/amd64/kubectl.sha256
manifests/calico.yaml https://raw.githubusercontent.com/projectcalico/calico/v3.27.4/manifests/calico.yaml
manifests/metrics-server.yaml https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.7.1/components.yaml
manifests/kubelet-csr-approver.yaml https://raw.githubusercontent.com/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/serviceaccount.yaml
manifests/kubelet-csr-approver.yaml https://raw.githubusercontent.com/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/clusterrole.yaml
manifests/kubelet-csr-approver.yaml https://raw.githubusercontent.com/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/rolebinding.yaml
manifests/kubelet-csr-approver.yaml https://raw.githubusercontent.com/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml
EOF
check "--list: the official release locations of the plan's versions" cmp -s "$TMP/list" "$TMP/list.expected"
cmp -s "$TMP/list" "$TMP/list.expected" || diff "$TMP/list.expected" "$TMP/list" >&2
# Mirrors first, in order, the path kept; an add-on that is off is left out.
sed -e "s/^\(  *containerd: \).*/\11.7.21/" -e "/^  metricsServer:/,/enabled:/ s/enabled: true/enabled: false/" \
	"$TMP/plan.yaml" >"$TMP/plan3.yaml"
"$K8SW" bundle fetch -f "$TMP/plan3.yaml" --list --mirror https://m.example.cn/k8s/ \
	--mirror http://127.0.0.1:9/x >"$TMP/list" 2>&1
check "--list with mirrors: the first mirror, the second, then upstream" test \
	"$(grep '^bin/containerd ' "$TMP/list" | grep -v sha256sum | cut -d' ' -f2)" = \
	"https://m.example.cn/k8s/containerd/containerd/releases/download/v1.7.21/containerd-1.7.21-linux-amd64.tar.gz
http://127.0.0.1:9/x/containerd/containerd/releases/download/v1.7.21/containerd-1.7.21-linux-amd64.tar.gz
https://github.com/containerd/containerd/releases/download/v1.7.21/containerd-1.7.21-linux-amd64.tar.gz"
check "--list: metrics-server off, not listed" test -z "$(grep metrics-server "$TMP/list")"
check "--list with mirrors: each of the approver's parts on each base, in order" test \
	"$(grep '^manifests/kubelet-csr-approver.yaml ' "$TMP/list" | grep deployment | cut -d' ' -f2)" = \
	"https://m.example.cn/k8s/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml
http://127.0.0.1:9/x/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml
https://raw.githubusercontent.com/postfinance/kubelet-csr-approver/v1.2.2/deploy/k8s/deployment.yaml"

# --- usage --------------------------------------------------------------------------
"$K8SW" bundle fetch -f "$TMP/plan.yaml" --mirror ftp://127.0.0.1/x --no-official >/dev/null 2>&1
check "a mirror that is not http(s): status 2" test $? = 2
"$K8SW" bundle fetch -f "$TMP/plan.yaml" --no-official >/dev/null 2>&1
check "--no-official without a mirror: status 2" test $? = 2
"$K8SW" bundle check -f "$TMP/plan.yaml" --mirror "$MAIN/good" >/dev/null 2>"$TMP/err"
check "check takes no --mirror: status 2" test $? = 2
check "and names it" grep -q "option --mirror is not used by this command" "$TMP/err"
# Without --dir: the plan's bundleDir, ~/k8s-bundle.
"$K8SW" bundle check -f "$TMP/plan.yaml" >"$TMP/check" 2>&1
check "check of the default bundle directory: status 1" test $? = 1
check "which is ~/k8s-bundle" grep -q "^Bundle $HOME/k8s-bundle$" "$TMP/check"
check "all missing" grep -q "^0 of 10 files present; all missing$" "$TMP/check"
finish "bundle fetch and check"
