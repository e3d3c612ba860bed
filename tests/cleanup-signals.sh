#!/bin/sh
# Throw-away files go whatever ends the command (issue 11, item 7, and the
# signal half of item 6): pki list --temp whose reader went away (| true),
# or that is sent TERM or HUP, or whose worker is killed outright, while its
# RSA 4096 CA keys generate, leaves nothing in $TMPDIR; a render stopped
# while it writes (blocked on a bundle file that is a FIFO) leaves nothing
# beside --out.
. "$top_srcdir/tests/lib.sh"

: "${K8SW_ASSETS_DIR:=$top_srcdir/assets}"
export K8SW_ASSETS_DIR
command -v pgrep >/dev/null || { echo "SKIP: pgrep is needed (procps)"; exit 77; }

"$K8SW" plan init -o "$TMP/plan.yaml" || fail "plan init"
sed -e 's/algorithm: rsa/algorithm: ecdsa/' -e 's/caKeySize: 4096/caKeySize: 256/' \
	-e 's/leafKeySize: 2048/leafKeySize: 256/' "$TMP/plan.yaml" >"$TMP/ec.yaml"
mkdir "$TMP/t"
export K8SW_STATE_DIR="$TMP/none"

# A reader that is gone before anything is written.
TMPDIR=$TMP/t "$K8SW" pki list --temp -f "$TMP/ec.yaml" 2>"$TMP/err" | true
check "| true: nothing left in TMPDIR" test -z "$(ls -A "$TMP/t")"

# wait_for_temp: until the throw-away directory exists (at most 10 s).
wait_for_temp() {
	i=0
	while [ -z "$(ls -A "$TMP/t")" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	test -n "$(ls -A "$TMP/t")"
}

# stopped HOW SIGNAL: pki list --temp (RSA 4096 CAs: seconds of key
# generation) sent SIGNAL, to the command (HOW=command) or to the process
# doing the work (HOW=worker: its child, else the command itself).
# The signals start at their defaults: a caller that ignores HUP (nohup)
# would otherwise pass that on, and the command rightly keeps running.
stopped() {
	TMPDIR=$TMP/t env --default-signal "$K8SW" pki list --temp -f "$TMP/plan.yaml" >/dev/null 2>"$TMP/err" &
	pid=$!
	check "$1 $2: the throw-away directory was made" wait_for_temp
	target=$pid
	if [ "$1" = worker ]; then
		target=$(pgrep -P "$pid" | head -1)
		[ -n "$target" ] || target=$pid
	fi
	kill -s "$2" "$target"
	wait "$pid"
	rc=$?
	check "$1 $2: the command failed" test "$rc" != 0
	check "$1 $2: nothing left in TMPDIR" test -z "$(ls -A "$TMP/t")"
	rm -rf "$TMP/t"/*
}
stopped command TERM
stopped command HUP
stopped worker KILL
check "the state directory was never made" test ! -e "$TMP/none"

# A render stopped while it writes: a bundle file that is a FIFO holds it
# there (the RSA keys are made first, by a render that finishes).
mkdir "$TMP/bundle" "$TMP/w"
cp -R "$top_srcdir/tests/fixtures/bundle/." "$TMP/bundle/"
mkdir -p "$TMP/bundle/bin"
rm -f "$TMP/bundle/bin/kubelet"
mkfifo "$TMP/bundle/bin/kubelet"
sed -i "s|^  bundleDir: .*|  bundleDir: $TMP/bundle|" "$TMP/ec.yaml"
K8SW_STATE_DIR=$TMP/state "$K8SW" render -f "$TMP/ec.yaml" --out "$TMP/w/out" \
	>/dev/null 2>"$TMP/err" &
pid=$!
i=0
while [ -z "$(ls -A "$TMP/w")" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "render: its private directory was made beside --out" test -n "$(ls -A "$TMP/w")"
sleep 0.2
kill -s TERM "$pid"
wait "$pid"
check "render TERM: the command failed" test $? != 0
check "render TERM: nothing left beside --out" test -z "$(ls -A "$TMP/w")"
finish "throw-away files on signals"
