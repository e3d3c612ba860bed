#!/bin/sh
# k8s-wizard exec and copy, and the SSH transport under them, against the
# lab: real OpenSSH sshd hosts on 127.0.0.11-15 (tests/lab/lab.sh). Host 5
# is the bastion of the bastion checks; host 4 is crashed near the end.
# Skips (77) only when the lab cannot run here (not root, no namespaces).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lab/labtest.sh"

lab_start 5

P="$TMP/plan.yaml"
lab_plan 3 "$P" "identityFile: $LAB_KEY"

# wait_for I PATH: until PATH exists on host I (at most 60 s).
wait_for() {
	n=0
	until on "$1" test -e "$2"; do
		n=$((n + 1))
		[ "$n" -lt 600 ] || return 1
		sleep 0.1
	done
}

# A command whose behaviour depends on the host it runs on (by address).
BYHOST='set -- $SSH_CONNECTION; case $3 in'

# --- exec ---------------------------------------------------------------
kw ok exec -f "$P" --known-hosts "$KH" -- true
check "exec: exit 0 everywhere gives status 0" rc_is ok 0
check "exec: a summary line per host" sh -c "grep -c 'exit 0' '$TMP/ok.err' | grep -qx 4"

kw codes exec -f "$P" --known-hosts "$KH" -- "$BYHOST 127.0.0.11) exit 0;; 127.0.0.12) exit 3;; *) exit 7;; esac"
check "exec: one failure gives status 1" rc_is codes 1
check "exec: exit codes per host" sh -c "grep -q '^master1 *exit 0' '$TMP/codes.err' &&
	grep -q '^node1 *exit 3' '$TMP/codes.err' && grep -q '^node2 *exit 7' '$TMP/codes.err' &&
	grep -q '^node3 *exit 7' '$TMP/codes.err'"

kw streams exec -f "$P" --known-hosts "$KH" --hosts master1,node2 -- \
	'echo out1; echo err1 >&2; echo out2; echo err2 >&2; printf tail'
check "exec: stdout lines on stdout, in order, tagged" sh -c "
	grep '^master1: ' '$TMP/streams.out' | tr '\n' ' ' | grep -qx 'master1: out1 master1: out2 master1: tail '"
check "exec: stderr lines on stderr, in order, tagged" sh -c "
	grep '^node2: ' '$TMP/streams.err' | tr '\n' ' ' | grep -qx 'node2: err1 node2: err2 '"
check "exec: no stderr on stdout" sh -c "! grep -q err '$TMP/streams.out'"
check "exec: --hosts selects only those" sh -c "! grep -q '^node1' '$TMP/streams.out'"

kw many exec -f "$P" --known-hosts "$KH" -- 'seq 100000'
check "exec: 100k lines from 4 hosts, exit 0" rc_is many 0
seq 100000 >"$TMP/seq"
for h in master1 node1 node2 node3; do
	check "exec: all 100k lines of $h, in order" sh -c "
		grep '^$h: ' '$TMP/many.out' | cut -d' ' -f2 | cmp -s - '$TMP/seq'"
done
check "exec: 400k lines, nothing else" sh -c "[ \$(wc -l <'$TMP/many.out') = 400000 ]"

# Long lines from every host at once: each printed line is one whole line.
kw long exec -f "$P" --known-hosts "$KH" -- \
	'x=$(head -c 20000 /dev/zero | tr "\0" x); for i in $(seq 50); do echo "<$x>"; done'
x=$(head -c 20000 /dev/zero | tr '\0' x)
check "exec: long lines of parallel hosts never interleave" sh -c "
	[ \$(wc -l <'$TMP/long.out') = 200 ] &&
	awk -v want='<$x>' '{ i = index(\$0, \": \"); h = substr(\$0, 1, i - 1)
		if (h !~ /^(master1|node[123])\$/ || substr(\$0, i + 2) != want) bad = 1 }
		END { exit bad }' '$TMP/long.out'"

kw timeout exec -f "$P" --known-hosts "$KH" --hosts node1 --timeout 2 -- 'sleep 300 & sleep 301; echo late'
check "exec: a timeout fails the host" rc_is timeout 1
check "exec: the timeout is reported as such" has timeout 'timed out after 2 s'
check "exec: the command printed nothing after its timeout" sh -c "! grep -q late '$TMP/timeout.out'"
check "exec: the timed-out command no longer runs on the host" sh -c "
	! sh '$LAB' run '$LAB_DIR' 2 ps -eo args | grep -q '^sleep 30[01]'"

kw nocmd exec -f "$P" --known-hosts "$KH"
check "exec: no command is a usage error" rc_is nocmd 2
kw badsel exec -f "$P" --known-hosts "$KH" --hosts node9 -- true
check "exec: an unknown host name is a usage error" rc_is badsel 2
check "exec: it lists the valid names" has badsel 'master1 node1 node2 node3'

# --- authentication -----------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C wrong -f "$TMP/wrong_key"
lab_plan 3 "$TMP/wrong.yaml" "identityFile: $TMP/wrong_key"
kw wrongkey exec -f "$TMP/wrong.yaml" --known-hosts "$KH" --hosts master1 -- true
check "auth: a wrong key fails" rc_is wrongkey 1
check "auth: the failure names user, host and methods tried" has wrongkey \
	"master1 (root@127.0.0.11:$LAB_PORT): authentication failed for user root: tried key $TMP/wrong_key: refused"

lab_plan 3 "$TMP/missing.yaml" "identityFile: $TMP/no_such_key"
kw missing exec -f "$TMP/missing.yaml" --known-hosts "$KH" --hosts master1 -- true
check "auth: a missing key fails" rc_is missing 1
check "auth: the missing key is named" has missing "key $TMP/no_such_key: no such file"

eval "$(ssh-agent -s -a "$TMP/agent.sock")" >/dev/null
agent_pid=$SSH_AGENT_PID
ssh-add -q "$LAB_KEY" 2>/dev/null
kw agent exec -f "$TMP/wrong.yaml" --known-hosts "$KH" --hosts master1 -- true
check "auth: the agent's key is used first" rc_is agent 0
kill "$agent_pid"
unset SSH_AUTH_SOCK SSH_AGENT_PID

# --- host keys ----------------------------------------------------------
fp1=$(ssh-keygen -lf "$LAB_DIR/h1/hostkey.pub" | cut -d' ' -f2)
: >"$TMP/kh_empty"
kw unknown exec -f "$P" --known-hosts "$TMP/kh_empty" --hosts master1 -- true
check "hostkey: an unknown key is refused headless" rc_is unknown 1
check "hostkey: the refusal shows the SHA256 fingerprint" has unknown "$fp1"
check "hostkey: nothing recorded when refused" sh -c "[ ! -s '$TMP/kh_empty' ]"
kw accept exec -f "$P" --known-hosts "$TMP/kh_empty" --hosts master1 --accept-new-hostkeys -- true
check "hostkey: --accept-new-hostkeys accepts" rc_is accept 0
check "hostkey: and records the key" sh -c "
	grep -qF '[127.0.0.11]:$LAB_PORT $(cut -d' ' -f1,2 "$LAB_DIR/h1/hostkey.pub")' '$TMP/kh_empty'"
kw again exec -f "$P" --known-hosts "$TMP/kh_empty" --hosts master1 -- true
check "hostkey: a recorded key is trusted next time" rc_is again 0
# Host 1's name with host 2's key: what a man in the middle would present.
echo "[127.0.0.11]:$LAB_PORT $(cut -d' ' -f1,2 "$LAB_DIR/h2/hostkey.pub")" >"$TMP/kh_changed"
cp "$TMP/kh_changed" "$TMP/kh_changed.orig"
kw changed exec -f "$P" --known-hosts "$TMP/kh_changed" --hosts master1 --accept-new-hostkeys -- true
check "hostkey: a changed key is refused, even with --accept-new-hostkeys" rc_is changed 1
check "hostkey: with OpenSSH's warning" has changed 'REMOTE HOST IDENTIFICATION HAS CHANGED'
check "hostkey: and the line to remove" has changed "Offending key for \[127.0.0.11\]:$LAB_PORT in $TMP/kh_changed, line 1"
check "hostkey: known_hosts is left alone" cmp -s "$TMP/kh_changed" "$TMP/kh_changed.orig"

# --- sudo ---------------------------------------------------------------
lab_plan 3 "$TMP/sudo.yaml" "identityFile: $LAB_KEY" "user: $LAB_USER" "sudo: true"
kw sudo exec -f "$TMP/sudo.yaml" --known-hosts "$KH" -- 'id -u'
check "sudo: a non-root user runs commands as root" sh -c "
	[ \$(grep -c ': 0$' '$TMP/sudo.out') = 4 ]"
lab_plan 3 "$TMP/sudopw.yaml" "identityFile: $TMP/no_such_key" "user: $LAB_PW_USER" "sudo: true" \
	"sudoPassword: true"
kw sudonopw exec -f "$TMP/sudopw.yaml" --known-hosts "$KH" --hosts master1 -- 'id -u' </dev/null
check "auth: no password given (no terminal): refused, methods named" has sudonopw \
	'password: no answer'
if command -v script >/dev/null 2>&1; then
	# A terminal (script's pty) answers the login and the sudo password.
	printf '%s\n%s\n' "$LAB_PASSWORD" "$LAB_PASSWORD" |
		timeout 300 script -qec "'$K8SW' exec -f '$TMP/sudopw.yaml' --known-hosts '$KH' \
		--hosts master1,node1 -- 'id -u; cat; echo stdin=\$?'" /dev/null >"$TMP/sudopw.out" 2>&1
	check "auth: password (keyboard-interactive) login and sudo with a password" sh -c "
		[ \$(grep -c '^\(master1\|node1\): 0' '$TMP/sudopw.out') = 2 ]"
	check "sudo: the password never reaches the command's stdin" sh -c "
		[ \$(grep -c ': stdin=0' '$TMP/sudopw.out') = 2 ] &&
		! grep -q ': $LAB_PASSWORD' '$TMP/sudopw.out'"
	check "sudo: the password is not in any host's log" sh -c "
		! grep -rqF '$LAB_PASSWORD' '$LAB_DIR'/h*/log"
fi

# --- upload -------------------------------------------------------------
head -c 100M /dev/urandom >"$TMP/big"
sum=$(sha256sum "$TMP/big" | cut -d' ' -f1)
kw copy copy -f "$P" --known-hosts "$KH" "$TMP/big" /data/bin/big --mode 0640 --owner kw:kw
check "copy: 100 MB to 4 hosts" rc_is copy 0
kw check exec -f "$P" --known-hosts "$KH" -- 'sha256sum /data/bin/big; stat -c "%a %U:%G %i" /data/bin/big'
check "copy: right sha256 on every host" sh -c "[ \$(grep -c ': $sum ' '$TMP/check.out') = 4 ]"
check "copy: right mode and owner" sh -c "[ \$(grep -c ': 640 kw:kw ' '$TMP/check.out') = 4 ]"
check "copy: no temporary file left" sh -c "for i in 1 2 3 4; do
	sh '$LAB' run '$LAB_DIR' \$i ls -a /data/bin | grep -q k8sw-upload && exit 1; done; exit 0"
check "copy: no progress line when stderr is not a terminal" sh -c "! grep -q 'hosts done' '$TMP/copy.err'"
if command -v script >/dev/null 2>&1; then
	timeout 300 script -qec "'$K8SW' copy -f '$P' --known-hosts '$KH' --hosts node1 \
		'$TMP/big' /data/bin/big-tty" /dev/null >"$TMP/progress.out" 2>&1
	check "copy: progress on a terminal" grep -q '1/1 hosts done, 100/100 MiB' "$TMP/progress.out"
fi
kw copy2 copy -f "$P" --known-hosts "$KH" "$TMP/big" /data/bin/big --mode 0640 --owner kw:kw
check "copy: a second copy succeeds" rc_is copy2 0
check "copy: and sends nothing" sh -c "[ \$(grep -c 'nothing sent' '$TMP/copy2.err') = 4 ]"
kw check2 exec -f "$P" --known-hosts "$KH" -- 'sha256sum /data/bin/big; stat -c "%a %U:%G %i" /data/bin/big'
check "copy: the skipped file is the same file (same inode)" sh -c "
	sort '$TMP/check.out' >'$TMP/check.sorted'; sort '$TMP/check2.out' | cmp -s - '$TMP/check.sorted'"

# An interrupted upload: the stream ends early (as when the connection or
# the client dies mid-way). The destination must keep its old content.
on 3 sh -c 'mkdir -p /data/bin && echo old >/data/bin/part'
if "$top_builddir/tests/lab_upload" 127.0.0.13 "$LAB_PORT" "$LAB_KEY" "$KH" "$TMP/big" \
	/data/bin/part >"$TMP/part.log" 2>&1; then
	check "copy: an interrupted upload leaves the destination as it was" sh -c "
		[ \"\$(sh '$LAB' run '$LAB_DIR' 3 cat /data/bin/part)\" = old ]"
	check "copy: and no temporary file" sh -c "
		! sh '$LAB' run '$LAB_DIR' 3 ls -a /data/bin | grep -q k8sw-upload"
else
	check "copy: the interrupted-upload driver ran" sh -c "cat '$TMP/part.log'; false"
fi

# --- quoting ------------------------------------------------------------
weird="/data/we ird;touch /data/pwned;'\$(touch /data/pwned2)'\`touch /data/pwned3\`"
echo hi >"$TMP/small"
kw weird copy -f "$P" --known-hosts "$KH" --hosts node1 "$TMP/small" "$weird"
check "quoting: a destination full of shell syntax is just a name" rc_is weird 0
check "quoting: the file has exactly that name" sh -c "
	sh '$LAB' run '$LAB_DIR' 2 cat -- \"\$1\" | grep -qx hi" sh "$weird"
check "quoting: nothing in it was run" sh -c "
	! sh '$LAB' run '$LAB_DIR' 2 ls /data | grep -q pwned"
logins() { grep -c 'Accepted publickey' "$LAB_DIR/h2/log/sshd.log"; }
before=$(logins)
lab_plan 3 "$TMP/evil.yaml" "identityFile: $LAB_KEY" 'user: "root;touch /tmp/pwned"'
kw evil exec -f "$TMP/evil.yaml" --known-hosts "$KH" -- true
check "quoting: a plan value with shell syntax is bad input (exit 2)" rc_is evil 2
check "quoting: and no host is contacted" sh -c "[ \$(grep -c 'Accepted publickey' '$LAB_DIR/h2/log/sshd.log') = $before ]"

# --- bastion ------------------------------------------------------------
lab_plan 3 "$TMP/bastion.yaml" "identityFile: $LAB_KEY" "bastion: root@127.0.0.15:$LAB_PORT"
kw bastion exec -f "$TMP/bastion.yaml" --known-hosts "$KH" -- 'echo via'
check "bastion: every host answers through it" sh -c "[ \$(grep -c ': via$' '$TMP/bastion.out') = 4 ]"
check "bastion: the bastion carried each connection" sh -c "
	for a in 11 12 13 14; do grep -q \"server_request_direct_tcpip: .* target 127.0.0.\$a port $LAB_PORT\" \
		'$LAB_DIR/h5/log/sshd.log' || exit 1; done"
kw bcopy copy -f "$TMP/bastion.yaml" --known-hosts "$KH" --hosts node1 "$TMP/big" /data/bin/viab
kw bcheck exec -f "$TMP/bastion.yaml" --known-hosts "$KH" --hosts node1 -- sha256sum /data/bin/viab
check "bastion: 100 MB through it arrive whole" sh -c "grep -q ': $sum ' '$TMP/bcheck.out'"

# --- lost hosts (host 3 frozen, then host 4 crashed, then the bastion) ---
kw frozen_run exec -f "$P" --known-hosts "$KH" --keepalive 1 -- "touch /tmp/started;
	$BYHOST 127.0.0.13) sleep 600;; *) sleep 2;; esac" &
kwpid=$!
wait_for 3 /tmp/started
sh "$LAB" freeze "$LAB_DIR" 3
wait "$kwpid"
sh "$LAB" thaw "$LAB_DIR" 3
check "keepalive: a silent host fails, not hangs" rc_is frozen_run 1
check "keepalive: reported as a connection error" has frozen_run '^node2 *connection error: .*no answer'
check "keepalive: the other hosts finish" sh -c "[ \$(grep -c 'exit 0' '$TMP/frozen_run.err') = 3 ]"

kw crash exec -f "$P" --known-hosts "$KH" -- "touch /tmp/started2;
	$BYHOST 127.0.0.14) sleep 600;; *) sleep 2; echo finished;; esac" &
kwpid=$!
wait_for 4 /tmp/started2
sh "$LAB" kill "$LAB_DIR" 4
wait "$kwpid"
check "crash: a host whose sshd dies mid-command fails" rc_is crash 1
check "crash: reported as a connection error" has crash '^node3 *connection error: .*connection lost'
check "crash: the others finish" sh -c "[ \$(grep -c ': finished$' '$TMP/crash.out') = 3 ]"

sh "$LAB" kill "$LAB_DIR" 5
kw nobastion exec -f "$TMP/bastion.yaml" --known-hosts "$KH" --hosts master1 -- true
check "bastion: when it is down, the host fails naming it" has nobastion \
	"^master1 *connection error: bastion (root@127.0.0.15:$LAB_PORT): cannot connect"

finish "exec, copy and the SSH transport against the lab"
