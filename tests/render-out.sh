#!/bin/sh
# render --out against another local user and a full disk (issue 11, item
# 6): the render is written in a private directory beside --out and renamed
# into place at the end, so a symbolic link given as --out, or swapped in
# while the keys generate, receives nothing; a render that fails (the disk
# full) leaves nothing behind, and the next run into the same place works.
. "$top_srcdir/tests/lib.sh"

: "${K8SW_ASSETS_DIR:=$top_srcdir/assets}"
export K8SW_ASSETS_DIR
fixtures="$top_srcdir/tests/fixtures/bundle"

"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"
sed -i "s|^  bundleDir: .*|  bundleDir: $fixtures|" "$TMP/plan.yaml"
sed -e 's/algorithm: rsa/algorithm: ecdsa/' -e 's/caKeySize: 4096/caKeySize: 256/' \
	-e 's/leafKeySize: 2048/leafKeySize: 256/' "$TMP/plan.yaml" >"$TMP/ec.yaml"
mkdir "$TMP/victim" "$TMP/w"
chmod 0777 "$TMP/victim"

# nothing_left DIR: no temporary directory of a render stays in DIR.
nothing_left() {
	test -z "$(find "$1" -maxdepth 1 -name '.*.k8sw-render.*')"
}

# --out is a symbolic link to an empty directory: refused, nothing written.
ln -s "$TMP/victim" "$TMP/w/link"
K8SW_STATE_DIR=$TMP/state1 "$K8SW" render -f "$TMP/ec.yaml" --out "$TMP/w/link" \
	>/dev/null 2>"$TMP/err"
check "a link as --out: exit 2" test $? = 2
check "a link as --out: says so" grep -q 'link.* is a symbolic link' "$TMP/err"
check "a link as --out: its target gets nothing" test -z "$(ls -A "$TMP/victim")"

# A link swapped in while the CAs' RSA 4096 keys generate (a new state
# directory): the render fails, the link's target gets nothing.
K8SW_STATE_DIR=$TMP/state2 "$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/w/out" \
	>/dev/null 2>"$TMP/err" &
pid=$!
sleep 0.3
ln -s "$TMP/victim" "$TMP/w/out"
wait "$pid"
rc=$?
check "a link swapped in: the render fails" test "$rc" != 0
check "a link swapped in: its target gets nothing" test -z "$(ls -A "$TMP/victim")"
check "a link swapped in: the link is left as it was" test -L "$TMP/w/out"
check "a link swapped in: nothing left beside it" nothing_left "$TMP/w"
rm -f "$TMP/w/out"

# A disk that fills up: nothing left, and the next run, with room, works.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	mkdir "$TMP/fs"
	unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$TMP/fs' || exit 99
		K8SW_STATE_DIR='$TMP/state3' '$K8SW' render -f '$TMP/ec.yaml' --out '$TMP/fs/out' \
			>/dev/null 2>'$TMP/full.err'
		echo \$? >'$TMP/full.rc'
		ls -A '$TMP/fs' >'$TMP/full.ls'
		mount -o remount,size=8m '$TMP/fs'
		K8SW_STATE_DIR='$TMP/state3' '$K8SW' render -f '$TMP/ec.yaml' --out '$TMP/fs/out' \
			>/dev/null 2>'$TMP/room.err'
		echo \$? >'$TMP/room.rc'
		test -s '$TMP/fs/out/master1/MANIFEST' && echo yes >'$TMP/room.ok'"
	check "disk full: exit 1" test "$(cat "$TMP/full.rc")" = 1
	check "disk full: says so" grep -q 'No space left on device' "$TMP/full.err"
	check "disk full: nothing left" test ! -s "$TMP/full.ls"
	check "with room again: the same --out works" test "$(cat "$TMP/room.rc")" = 0
	check "with room again: the render is there" test -s "$TMP/room.ok"
else
	echo "# skipped the full disk: root and mount namespaces are needed"
fi
finish "render --out"
