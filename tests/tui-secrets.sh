#!/bin/sh
# The Run page's questions that are not about an unknown key, on the light
# lab (tests/lab/lab.sh: sshd on 127.0.0.11-12): a login password and a sudo
# password asked on the screen, typed, never drawn and never written
# anywhere (screen, state directory, logs, the hosts' logs); and a host whose
# key changed is refused and explained, never asked about. The run always
# ends in preflight (master1's key is refused, and etcd's client port is the
# lab's sshd port): nothing is installed on this machine's kernel, which the
# light lab's hosts share. Skips (77) when the lab cannot run here.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tui-lib.sh"
. "$top_srcdir/tests/lab/labtest.sh"

lab_start 2
trap 'tmux_ kill-server >/dev/null 2>&1; sh "$LAB" stop "$LAB_DIR" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
export K8SW_STATE_DIR="$TUI_STATE"
TUI_TIMEOUT=120

# master1 is known under node1's key: what a man in the middle would show.
KH="$TMP/known_hosts"
{
	echo "[127.0.0.11]:$LAB_PORT $(cut -d' ' -f1,2 "$LAB_DIR/h2/hostkey.pub")"
	echo "[127.0.0.12]:$LAB_PORT $(cut -d' ' -f1,2 "$LAB_DIR/h2/hostkey.pub")"
} >"$KH"
cp "$KH" "$TMP/known_hosts.orig"

# The bundle: the test fixtures' manifests, and placeholders for the
# binaries (never uploaded: the run ends in preflight; never run).
placeholder_bundle "$TMP/bundle"

# master1 and node1 (lab hosts 1 and 2), as the password user with sudo;
# etcd's client port is the lab's sshd port, so preflight fails there. That
# port is random (20000-39999): the NodePort range is kept clear of it, or
# the plan would be refused when it falls in the default 30000-32767.
P="$TMP/plan.yaml"
lab_plan 1 "$P" "user: $LAB_PW_USER" "identityFile: $TMP/no_such_key" "sudo: true" \
	"sudoPassword: true"
printf 'network:\n  apiserverVIP: 127.0.0.11\n  serviceNodePortRange: 61000-63000\netcd:\n  clientPort: %s\nbinaries:\n  bundleDir: %s\n' \
	"$LAB_PORT" "$TMP/bundle" >>"$P"

# type_secret NAME: the password typed into the dialog is nowhere on the
# screen, before and after Enter.
type_secret() {
	tui_type s "$LAB_PASSWORD" &&
		sleep 0.3 &&
		tui_lacks s "$LAB_PASSWORD" &&
		tui_has s "(typing is not shown)" &&
		tui_keys s Enter &&
		tui_lacks s "$LAB_PASSWORD"
}

start() {
	tui_start s 80 24 -- --plan "$P" --known-hosts "$KH" &&
		tui_wait s "Plan: $P" &&
		tui_keys s NPage NPage NPage NPage NPage NPage &&
		tui_wait s "Ready to install cluster lab" &&
		tui_keys s Enter
}
check "the run starts" start

login() {
	tui_wait s "The password of $LAB_PW_USER on node1" &&
		type_secret
}
check "the login password is asked on the screen, typed unseen" login

sudo_pw() {
	tui_wait s "The sudo password of $LAB_PW_USER on node1" &&
		type_secret
}
check "the sudo password is asked on the screen, typed unseen" sudo_pw

refused() {
	tui_wait s "master1 failed in phase preflight" &&
		tui_wait s "IDENTIFICATION" &&
		tui_lacks s "Unknown host key"
}
check "a changed key is refused and explained, not asked" refused
check "known_hosts is left alone" cmp -s "$KH" "$TMP/known_hosts.orig"

# node1 logged in (the engine's log of node1 has its connect check passed)
# and went on (a later check of it is on the screen). The page shows the
# last lines of the feed: by then the connect line may have scrolled away.
node1_connected() {
	find "$TUI_STATE" -name node1.log -exec grep -q ' == check connect: passed' {} + 2>/dev/null
}
node1_in() {
	tui_keys s Tab && tui_wait_re s "node1 (cgroup2|swap|ports|hostname|resolv-conf)" &&
		node1_connected
}
check "node1 logged in and went on with its checks" node1_in

# F10 once the run has ended ("Enter resume" in the footer): while a check
# is still under way F10 asks whether to stop the install instead.
quit() {
	tui_wait s "Enter resume" && tui_keys s F10 && tui_wait s "[exited 0]"
}
check "F10 quits" quit
check "nothing after preflight ran" sh -c "! grep -rq '== step prepare' '$TUI_STATE'"
check "the password is in no file of the state directory" sh -c "
	! grep -rqF '$LAB_PASSWORD' '$TUI_STATE'"
check "nor in the hosts' logs" sh -c "! grep -rqF '$LAB_PASSWORD' '$LAB_DIR'/h*/log"

finish "the Run page's questions on the light lab"
