#!/bin/sh
# Hostile hosts and hostile files around the SSH transport, against the lab's
# real sshd hosts (tests/lab/lab.sh): a sudoers rule that runs our shell
# without asking for the password (the password must not reach the command),
# revoked and CA-marked keys in known_hosts, known_hosts created under umask
# 000, copies to directories and through symlinks, a host flooding the output
# of a copy. Host 2 carries the hostile settings; host 1 is a normal host.
# Skips (77) only when the lab cannot run here (not root, no namespaces).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lab/labtest.sh"

lab_start 2

P="$TMP/plan.yaml"
lab_plan 1 "$P" "identityFile: $LAB_KEY"

# --- sudo's password goes to sudo only ------------------------------------
# Host 2 lets the password user run the shell without a password: sudo -n
# true still fails (so the password is used), but sudo runs our commands
# without asking. The password must then stay on the jump host.
on 2 sh -c 'echo "kwpw ALL=(ALL) NOPASSWD: /bin/sh" >/etc/sudoers.d/zz-sh &&
	chmod 440 /etc/sudoers.d/zz-sh'
export LAB_PASSWORD
for i in 1 2; do
	drv "sudocat$i" -u "$LAB_PW_USER" -P "$i" run 'id -u; cat; echo "stdin=$?"'
	check "sudo host $i: the command runs as root" out_has "sudocat$i" '^line 0$'
	check "sudo host $i: its stdin is empty" out_has "sudocat$i" '^line stdin=0$'
	check "sudo host $i: the password never reaches the command" sh -c "
		! grep -qF -- '$LAB_PASSWORD' '$TMP/sudocat$i.out'"
	drv "sudoup$i" -u "$LAB_PW_USER" -P "$i" upload-mem /data/up 0600 300000
	check "sudo host $i: an upload arrives whole (nothing before it on stdin)" sh -c "
		grep -qx 'first sent' '$TMP/sudoup$i.out' && grep -qx 'second skipped' '$TMP/sudoup$i.out' &&
		[ \"\$(sh '$LAB' run '$LAB_DIR' $i sha256sum /data/up | cut -c1-64)\" = \
		  \"\$(sed -n 's/^sha256 //p' '$TMP/sudoup$i.out')\" ]"
	check "sudo host $i: the uploaded file holds no password" sh -c "
		! sh '$LAB' run '$LAB_DIR' $i grep -qF -- '$LAB_PASSWORD' /data/up"
done
LAB_PASSWORD=wrong-password drv sudowrong -u "$LAB_PW_USER" -P 1 run 'echo must-not-run'
check "sudo: a wrong password is refused" out_has sudowrong 'sudo refused the password of user kwpw'
check "sudo: and nothing runs" sh -c "! grep -q must-not-run '$TMP/sudowrong.out'"

# --- host keys: @revoked and @cert-authority ------------------------------
# Lines libssh skips: a revoked key is refused always, even when the file
# also trusts it and with --accept-new-hostkeys; a CA line trusts nothing.
k1=$(cut -d' ' -f1,2 "$LAB_DIR/h1/hostkey.pub")
k2=$(cut -d' ' -f1,2 "$LAB_DIR/h2/hostkey.pub")
n1="[127.0.0.11]:$LAB_PORT"
n2="[127.0.0.12]:$LAB_PORT"
# kh_case NAME EXPECTED-RC [--accept-new-hostkeys]: connect to host 1 with
# the known_hosts file $TMP/kh_NAME.
kh_case() {
	cp "$TMP/kh_$1" "$TMP/kh_$1.orig"
	kw "kh_$1" exec -f "$P" --hosts master1 --known-hosts "$TMP/kh_$1" ${3:-} -- true
	check "hostkey $1: exit $2" rc_is "kh_$1" "$2"
}
printf '@revoked %s %s\n' "$n1" "$k1" >"$TMP/kh_revoked"
kh_case revoked 1 --accept-new-hostkeys
check "hostkey revoked: OpenSSH's words" has kh_revoked 'REVOKED HOST KEY DETECTED'
check "hostkey revoked: the file and line" has kh_revoked "revoked in $TMP/kh_revoked, line 1"
check "hostkey revoked: not recorded as trusted" cmp -s "$TMP/kh_revoked" "$TMP/kh_revoked.orig"
printf '%s %s\n@revoked %s %s\n' "$n1" "$k1" "$n1" "$k1" >"$TMP/kh_revtrusted"
kh_case revtrusted 1
check "hostkey revoked and trusted: the revocation wins" has kh_revtrusted \
	"revoked in $TMP/kh_revtrusted, line 2"
printf '%s %s\n@revoked %s %s\n' "$n1" "$k1" "$n2" "$k1" >"$TMP/kh_revother"
kh_case revother 1
check "hostkey revoked under another name: refused too" has kh_revother 'REVOKED HOST KEY'
printf '%s %s\n@revoked * %s\n' "$n1" "$k1" "$k2" >"$TMP/kh_revokedkey2"
kh_case revokedkey2 0
check "hostkey: another key's revocation does not refuse this one" sh -c "
	! grep -q REVOKED '$TMP/kh_revokedkey2.err'"
printf '@cert-authority %s %s\n' "$n1" "$k1" >"$TMP/kh_ca"
kh_case ca 1
check "hostkey @cert-authority: the key is unknown" has kh_ca 'the host key is not known'
check "hostkey @cert-authority: the message says why" has kh_ca '@cert-authority lines are not used'
check "hostkey @cert-authority: nothing recorded" cmp -s "$TMP/kh_ca" "$TMP/kh_ca.orig"

# --- known_hosts created private, whatever the umask ----------------------
(
	umask 000
	kw khnew exec -f "$P" --hosts master1 --known-hosts "$TMP/khdir/sub/known_hosts" \
		--accept-new-hostkeys -- true
	kw khhome exec -f "$P" --hosts master1 --accept-new-hostkeys -- true
)
check "known_hosts: a new file under umask 000 works" rc_is khnew 0
check "known_hosts: it is created 0600, its directories 0700" sh -c "
	[ \"\$(stat -c %a '$TMP/khdir' '$TMP/khdir/sub' '$TMP/khdir/sub/known_hosts' | tr '\n' ' ')\" = '700 700 600 ' ]"
check "known_hosts: and holds the key" grep -qF "$n1 $k1" "$TMP/khdir/sub/known_hosts"
check "known_hosts: ~/.ssh/known_hosts too" sh -c "rc_ok=\$(cat '$TMP/khhome.rc'); [ \"\$rc_ok\" = 0 ] &&
	[ \"\$(stat -c %a '$HOME/.ssh' '$HOME/.ssh/known_hosts' | tr '\n' ' ')\" = '700 600 ' ]"
printf '%s %s\n' "$n2" "$k2" >"$TMP/kh_mode"
chmod 644 "$TMP/kh_mode"
kw khmode exec -f "$P" --hosts master1 --known-hosts "$TMP/kh_mode" --accept-new-hostkeys -- true
check "known_hosts: an existing file keeps its mode" sh -c "
	[ \$(stat -c %a '$TMP/kh_mode') = 644 ] && grep -qF '$n1 $k1' '$TMP/kh_mode'"

# --- copy: directories and symbolic links at the destination --------------
on 1 sh -c 'mkdir -p /data/dir /data/other && echo secret >/data/other/victim &&
	chmod 600 /data/other/victim && ln -s /data/dir /data/linkdir &&
	ln -s /data/other/victim /data/linkfile && ln -s /data/other/victim /data/linksame'
echo hi >"$TMP/small"
echo secret >"$TMP/secret"
for d in dir linkdir; do
	kw "cp$d" copy -f "$P" --hosts master1 --known-hosts "$KH" "$TMP/small" "/data/$d"
	check "copy to a $d: refused" rc_is "cp$d" 1
	check "copy to a $d: saying why" has "cp$d" "upload to /data/$d failed: the destination is a directory"
done
check "copy to a directory: nothing left in it" sh -c "
	[ -z \"\$(sh '$LAB' run '$LAB_DIR' 1 ls -A /data/dir)\" ]"
check "copy to a link to a directory: the link stays" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' 1 readlink /data/linkdir)\" = /data/dir ]"
kw cplinkfile copy -f "$P" --hosts master1 --known-hosts "$KH" "$TMP/small" /data/linkfile
check "copy over a link to a file: done" rc_is cplinkfile 0
check "copy over a link to a file: the link itself is replaced" sh -c "
	sh '$LAB' run '$LAB_DIR' 1 sh -c '[ ! -L /data/linkfile ] && [ \"\$(cat /data/linkfile)\" = hi ]'"
# The same content behind the link: the skip path must not chmod through it.
kw cplinksame copy -f "$P" --hosts master1 --known-hosts "$KH" "$TMP/secret" /data/linksame --mode 0666
check "copy over a link to the same content: done" rc_is cplinksame 0
check "copy over a link to the same content: the link is replaced" sh -c "
	sh '$LAB' run '$LAB_DIR' 1 sh -c '[ ! -L /data/linksame ] && [ \$(stat -c %a /data/linksame) = 666 ]'"
check "copy over links: what they pointed to is untouched" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' 1 stat -c '%a %s' /data/other/victim)\" = '600 7' ]"

# --- copy: a host that floods its output -----------------------------------
# Host 2's openssl (which the upload script hashes with) prints 100,000 lines
# first. Collecting them must cost time in proportion to them (it took a
# minute for 80,000 when each line copied all the ones before it), and the
# error message keeps only the last of them.
head -c 100000 /dev/urandom >"$TMP/rnd"
on 2 sh -c 'printf "#!/bin/sh\nseq 100000 >&2\nexec /usr/bin/openssl \"\$@\"\n" \
	>/usr/local/bin/openssl && chmod 755 /usr/local/bin/openssl'
t0=$(date +%s)
kw flood copy -f "$P" --hosts node1 --known-hosts "$KH" "$TMP/rnd" /data/flood
t1=$(date +%s)
check "flood: the copy succeeds" rc_is flood 0
check "flood: within 30 s (took $((t1 - t0)) s)" test $((t1 - t0)) -lt 30
on 2 sh -c 'printf "#!/bin/sh\nseq 100000 >&2\necho 0000\n" >/usr/local/bin/openssl'
kw floodfail copy -f "$P" --hosts node1 --known-hosts "$KH" "$TMP/rnd" /data/floodfail
check "flood: a failure is reported" rc_is floodfail 1
check "flood: with the host's last lines" sh -c "
	grep -q '^100000\$' '$TMP/floodfail.err' && grep -q 'sha256 or placement check failed' '$TMP/floodfail.err'"
check "flood: saying how many were left out" has floodfail 'earlier lines left out'
check "flood: the message is bounded ($(wc -c <"$TMP/floodfail.err") bytes)" \
	test "$(wc -c <"$TMP/floodfail.err")" -lt 16384
on 2 rm -f /usr/local/bin/openssl

finish "hostile hosts and files around the SSH transport"
