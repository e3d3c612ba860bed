#!/bin/sh
# The program carries its templates: the built binary, copied alone into an
# empty directory and run with nothing but PATH, HOME and LANG (no
# K8SW_ASSETS_DIR, no installed data), makes the default plan and renders
# it, and the render is byte for byte the one made from the source tree's
# assets/ through the developer override K8SW_ASSETS_DIR.
. "$top_srcdir/tests/lib.sh"

bare="$TMP/bare"
home="$TMP/home"
mkdir -p "$bare" "$home"
cp "$K8SW" "$bare/k8s-wizard" || fail "cannot copy $K8SW"
# The default plan's bundleDir is ~/k8s-bundle: the fixtures' manifests.
placeholder_bundle "$home/k8s-bundle"

# alone CMD...: the copied binary, in its directory, with an empty
# environment but for PATH, HOME and LANG. The cluster's state (its PKI)
# goes under HOME, shared by both renders so that they use the same keys.
alone() {
	(cd "$bare" && env -i PATH="$PATH" HOME="$home" LANG=C.UTF-8 ./k8s-wizard "$@")
}

alone plan init -o plan.yaml >"$TMP/init.out" 2>&1 || fail "plan init: $(cat "$TMP/init.out")"
check "plan init wrote the default plan" test -s "$bare/plan.yaml"
alone render -f plan.yaml -o out >"$TMP/render.out" 2>&1 ||
	fail "render by the bare binary: $(cat "$TMP/render.out")"
check "the bare binary rendered every host" sh -c "grep -q 'rendered [0-9]* files for 5 hosts' '$TMP/render.out'"
check "nothing but the binary, the plan and the render in its directory" \
	test "$(ls -A "$bare" | tr '\n' ' ')" = "k8s-wizard out plan.yaml "

(cd "$bare" && env -i PATH="$PATH" HOME="$home" LANG=C.UTF-8 \
	K8SW_ASSETS_DIR="$top_srcdir/assets" "$K8SW" render -f plan.yaml -o "$TMP/ref") \
	>"$TMP/ref.out" 2>&1 || fail "render with K8SW_ASSETS_DIR: $(cat "$TMP/ref.out")"
check "the same files, byte for byte, as with K8SW_ASSETS_DIR=\$top_srcdir/assets" \
	diff -r "$TMP/ref" "$bare/out"
check "the same modes" sh -c "test \"\$(cd '$TMP/ref' && find . -printf '%P %m\n' | sort)\" = \
	\"\$(cd '$bare/out' && find . -printf '%P %m\n' | sort)\""
# Not a vacuous comparison: a template really came from the binary.
check "the render holds the kubelet's unit" test -s "$bare/out/node1/etc/systemd/system/kubelet.service"

# The override is read when set: a broken copy of assets/ shows.
cp -r "$top_srcdir/assets" "$TMP/assets"
chmod -R u+w "$TMP/assets"
echo '{{nosuchname}}' >>"$TMP/assets/templates/kubelet/kubelet.service"
(cd "$bare" && env -i PATH="$PATH" HOME="$home" LANG=C.UTF-8 K8SW_ASSETS_DIR="$TMP/assets" \
	./k8s-wizard render -f plan.yaml -o "$TMP/broken") >"$TMP/broken.out" 2>&1
check "K8SW_ASSETS_DIR, when set, is what is read" grep -q "nosuchname" "$TMP/broken.out"

finish "embedded-assets"
