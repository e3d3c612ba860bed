#!/bin/sh
# The transport's calls the install engine uses, against the lab's real sshd
# hosts (tests/lab/lab.sh) through tests/lab_transport: uploads from memory;
# cancelling a running command (TERM-ignoring too), an upload, a TCP stream
# and a connection being made; TCP to a TLS server on a lab host with an mTLS
# probe (directly and through the bastion); the cause of each failure. Host 5
# is the bastion, then is frozen; host 4 is crashed at the end.
# Skips (77) only when the lab cannot run here (not root, no namespaces).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lab/labtest.sh"

lab_start 5

# val NAME KEY: the word after KEY on NAME's first line that has it.
val() {
	sed -n "s/.*\\b$2 \\([^ ]*\\).*/\\1/p" "$TMP/$1.out" | head -1
}

# running I PATTERN: a process of host I whose command line is PATTERN.
running() {
	on "$1" ps -eo args | grep -qx -- "$2"
}

# free_port: a TCP port nothing listens on.
free_port() {
	while :; do
		p=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 40000))
		[ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return; }
	done
}

wait_listen() {
	n=0
	until [ -n "$(ss -Htln "src $1 and sport = :$2")" ]; do
		n=$((n + 1))
		[ "$n" -lt 100 ] || return 1
		sleep 0.1
	done
}

# --- upload from memory --------------------------------------------------
drv mem 1 upload-mem /etc/kubernetes/pki/lab.key 0600 3000000
check "upload-mem: the first upload sends" out_has mem '^first sent$'
check "upload-mem: the second is skipped (same sha256 on the host)" out_has mem '^second skipped$'
sum=$(val mem sha256)
check "upload-mem: the host has exactly those bytes" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' 1 sha256sum /etc/kubernetes/pki/lab.key | cut -c1-64)\" = '$sum' ]"
check "upload-mem: with its mode" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' 1 stat -c %a /etc/kubernetes/pki/lab.key)\" = 600 ]"
check "upload-mem: no temporary file" sh -c "
	! sh '$LAB' run '$LAB_DIR' 1 ls -a /etc/kubernetes/pki | grep -q k8sw-upload"

# --- cancel a running command --------------------------------------------
# cancel_case NAME I OPTS COMMAND PROCESS: cancel COMMAND on host I (it
# prints "started" and leaves PROCESS running), then check the host.
cancel_case() {
	name=$1 i=$2 opts=$3 cmd=$4 proc=$5
	# shellcheck disable=SC2086
	drv "$name" $opts "$i" cancel-run "$cmd"
	check "cancel $name: the command ran until cancelled" out_has "$name" '^line started$'
	check "cancel $name: remote_run returned 0 with CANCELLED" \
		out_has "$name" '^rc 0 status cancelled exit 0 cause cancelled'
	check "cancel $name: returned within 2 s of the cancel" sh -c "
		[ \$(sed -n 's/^cancelled_ms //p' '$TMP/$name.out') -lt 2000 ]"
	check "cancel $name: no process of it left on the host" sh -c "
		! sh '$LAB' run '$LAB_DIR' $i ps -eo args | grep -qx -- '$proc'"
	check "cancel $name: the next call is CANCELLED at once, without the host" sh -c "
		grep -A1 '^cancelled_ms' '$TMP/$name.out' | grep -q '^rc 0 status cancelled' &&
		[ \$(sed -n 's/^while_cancelled_ms //p' '$TMP/$name.out') -lt 100 ] &&
		! grep -q must-not-run '$TMP/$name.out'"
	check "cancel $name: after clearing, commands run again" out_has "$name" '^line again$'
}

cancel_case sleep 1 "" 'echo started; sleep 1001' 'sleep 1001'
# The cancel wakes the wait at once; TERM is enough here.
check "cancel sleep: a command that heeds TERM is gone within 0.6 s" sh -c "
	[ \$(sed -n 's/^cancelled_ms //p' '$TMP/sleep.out') -lt 600 ]"
cancel_case ignore_term 1 "" "trap '' TERM; echo started; sleep 1002 & sleep 1003" 'sleep 100[23]'
check "cancel ignore_term: TERM was ignored, so the KILL was needed (took > 0.7 s)" sh -c "
	[ \$(sed -n 's/^cancelled_ms //p' '$TMP/ignore_term.out') -ge 700 ]"
# The brief's two commands, as they are.
cancel_case plain_sleep 1 "" 'echo started; sleep 1000' 'sleep 1000'
cancel_case sh_ignore 1 "" "echo started; sh -c 'trap \"\" TERM; sleep 1000'" 'sleep 1000'
check "cancel sh_ignore: TERM was ignored, so the KILL was needed (took > 0.7 s)" sh -c "
	[ \$(sed -n 's/^cancelled_ms //p' '$TMP/sh_ignore.out') -ge 700 ]"
check "cancel sh_ignore: its TERM-ignoring shell is gone too" sh -c "
	! sh '$LAB' run '$LAB_DIR' 1 ps -eo args | grep -q '^sh -c trap'"
cancel_case sudo 2 "-u $LAB_USER -s" \
	"trap '' TERM; id -u; echo started; sleep 1004" 'sleep 1004'
check "cancel sudo: the command ran as root (the kill too, through sudo)" out_has sudo '^line 0$'

# --- cancel an upload ----------------------------------------------------
on 1 sh -c 'mkdir -p /data && echo old >/data/cancelled'
drv cupload 1 cancel-upload /data/cancelled 200000000
check "cancel upload: remote_upload fails with cause CANCELLED" out_has cupload '^rc -1 cause cancelled'
check "cancel upload: it was cancelled mid-way" out_has cupload '^cancel_at [1-9]'
check "cancel upload: the destination is unchanged" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' 1 cat /data/cancelled)\" = old ]"
check "cancel upload: no temporary file is left" sh -c "
	! sh '$LAB' run '$LAB_DIR' 1 ls -a /data | grep -q k8sw-upload"
check "cancel upload: no upload process is left" sh -c "
	! sh '$LAB' run '$LAB_DIR' 1 ps -eo args | grep -q '^cat$'"

# --- TCP through the host to a TLS server on it, and an mTLS probe -------
P="$TMP/pki"
mkdir -p "$P"
(
	cd "$P"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=lab-ca -keyout ca.key -out ca.pem
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=etcd \
		-keyout server.key -out server.csr
	printf 'subjectAltName=IP:127.0.0.13\n' >server.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile server.ext -out server.pem
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=probe \
		-keyout client.key -out client.csr
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-out client.pem
) >"$TMP/pki.log" 2>&1 || fail "test certificates: $(cat "$TMP/pki.log")"
on 3 sh -c 'mkdir -p /data/tls && cat >/data/tls/all.pem' <"$P/server.pem"
on 3 sh -c 'cat >/data/tls/server.key' <"$P/server.key"
on 3 sh -c 'cat >/data/tls/ca.pem' <"$P/ca.pem"
on 3 sh -c 'echo healthy >/data/tls/healthz'
TLS_PORT=$(free_port)
# Only on the host's own address: reachable from the host, as a component's
# port that listens there.
sh "$LAB" run "$LAB_DIR" 3 sh -c "echo \$\$ >/data/tls/pid; cd /data/tls && exec openssl s_server \
	-quiet -WWW -accept 127.0.0.13:$TLS_PORT -cert all.pem -key server.key -CAfile ca.pem \
	-Verify 1" >"$TMP/s_server.log" 2>&1 &
s_server=$!
wait_listen 127.0.0.13 "$TLS_PORT" || fail "openssl s_server did not start: $(cat "$TMP/s_server.log")"

drv probe 3 probe 127.0.0.13 "$TLS_PORT" 127.0.0.13 "$P/ca.pem" "$P/client.pem" "$P/client.key" /healthz
check "probe: mTLS through the host's SSH connection answers 200" out_has probe '^status 200$'
check "probe: with the file the server serves" out_has probe '^body healthy$'
drv probe_nocert 3 probe 127.0.0.13 "$TLS_PORT" 127.0.0.13 "$P/ca.pem" - - /healthz
check "probe: without the client certificate the server refuses" out_has probe_nocert '^error .*(alert|certificate)'
drv probe_name 3 probe 127.0.0.13 "$TLS_PORT" 127.0.0.14 "$P/ca.pem" "$P/client.pem" "$P/client.key" /healthz
check "probe: a certificate for another address is refused" out_has probe_name '^error .*IP address mismatch'
drv probe_bastion -b "root@127.0.0.15:$LAB_PORT" 3 probe 127.0.0.13 "$TLS_PORT" 127.0.0.13 \
	"$P/ca.pem" "$P/client.pem" "$P/client.key" /healthz
check "probe: through the bastion too" out_has probe_bastion '^status 200$'
check "probe: the bastion carried the SSH connection" \
	grep -q "direct_tcpip: .* target 127.0.0.13 port $LAB_PORT" "$LAB_DIR/h5/log/sshd.log"
check "probe: host 3 opened the forward to the TLS server" \
	grep -q "target 127.0.0.13 port $TLS_PORT" "$LAB_DIR/h3/log/sshd.log"

drv ctcp 3 cancel-tcp 127.0.0.13 "$TLS_PORT"
check "cancel tcp: a read waiting on a silent server ends with CANCELLED" out_has ctcp '^read -1 cause cancelled'
# The cancel wakes the wait at once (the wait's own tick is a second).
check "cancel tcp: within 0.3 s of the cancel" sh -c "
	[ \$(sed -n 's/.*cancelled_ms \\([0-9]*\\).*/\\1/p' '$TMP/ctcp.out') -lt 300 ]"
check "cancel tcp: the next read is CANCELLED too" out_has ctcp '^again -1 cause cancelled'

on 3 sh -c 'kill "$(cat /data/tls/pid)"'
wait "$s_server"

# --- causes ----------------------------------------------------------------
closed=$(free_port)
drv tcp_closed 3 tcp 127.0.0.13 "$closed"
check "cause: nothing listening behind the host -> UNREACHABLE" out_has tcp_closed '^cause unreachable'
drv noport 1 run true
check "cause: a working host first (control)" out_has noport '^rc 0 status exited exit 0 cause none'
timeout 60 "$DRIVER" 127.0.0.11 "$closed" "$LAB_KEY" "$KH" run true >"$TMP/unreach.out" 2>&1
check "cause: no sshd listening -> UNREACHABLE" out_has unreach '^rc -1 status lost .*cause unreachable'
# The connection dropped between two commands (its sshd process killed while
# the client is idle): the next command finds it gone, LOST (to be retried
# on a new connection), not REFUSED; the one after reconnects.
drv dropped 2 dropped "setsid sh -c 'sleep 0.5; pkill -KILL -f \"^sshd: root@notty\"' >/dev/null 2>&1 &"
check "cause: a connection dropped while idle -> LOST" out_has dropped '^rc -1 status lost .*cause lost'
check "cause: the next command reconnects" out_has dropped '^line again$'
ssh-keygen -q -t ed25519 -N '' -C wrong -f "$TMP/wrong_key"
timeout 60 "$DRIVER" 127.0.0.11 "$LAB_PORT" "$TMP/wrong_key" "$KH" run true >"$TMP/wrongkey.out" 2>&1
check "cause: a wrong client key -> REFUSED" out_has wrongkey '^rc -1 status failed .*cause refused'

# Host 5 frozen (SIGSTOP) during a command: lost within the keepalive bound
# (interval 1 s, 2 probes: lost after 3 s of silence). lab.sh freeze itself
# may take seconds on a busy machine (it walks /proc): the host is silent at
# the latest once it returns, so the time counts from then (allowed 5 s).
drv frozen -k 1 -c 2 5 run 'touch /tmp/started; sleep 600' &
pid=$!
n=0
until on 5 test -e /tmp/started || [ "$n" -ge 300 ]; do n=$((n + 1)); sleep 0.1; done
sleep 0.5
sh "$LAB" freeze "$LAB_DIR" 5
t0=$(date +%s%N)
wait "$pid"
t1=$(date +%s%N)
# Connecting to it blocks in the SSH handshake (the kernel still accepts the
# TCP connection): a cancel ends that too.
drv cconnect 5 cancel-connect
sh "$LAB" thaw "$LAB_DIR" 5
check "cancel connect: a connection being made ends with CANCELLED" out_has cconnect '^rc -1 cause cancelled'
check "cancel connect: within 0.5 s of the cancel" sh -c "
	[ \$(sed -n 's/.*cancelled_ms \\([0-9]*\\).*/\\1/p' '$TMP/cconnect.out') -lt 500 ]"
check "cause: a frozen host -> LOST" out_has frozen '^rc -1 status lost .*cause lost'
frozen_ms=$(((t1 - t0) / 1000000))
echo "# frozen host: lost $frozen_ms ms after the freeze was complete"
check "cause: declared lost within the keepalive bound" [ "$frozen_ms" -lt 5000 ]
check "cause: after 3 s of silence and the 2 probes" out_has frozen \
	'^error .*no answer for [34] s \(2 keepalive probes\)'

# Host 4's sshd killed mid-command.
drv crash 4 run 'touch /tmp/started; sleep 600' &
pid=$!
n=0
until on 4 test -e /tmp/started || [ "$n" -ge 300 ]; do n=$((n + 1)); sleep 0.1; done
sh "$LAB" kill "$LAB_DIR" 4
wait "$pid"
check "cause: sshd killed mid-command -> LOST" out_has crash '^rc -1 status lost .*cause lost'

# Under --enable-asan the driver's reports land in its output.
check "no sanitizer report from any run of the driver" sh -c "
	! grep -l 'Sanitizer\|runtime error' '$TMP'/*.out"

finish "the transport's cancel, causes, uploads from memory and forwarded TCP against the lab"
