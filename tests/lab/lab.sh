#!/bin/sh
# The lab: N fake hosts for the tests and benchmarks, each a real OpenSSH sshd
# on its own loopback address (127.0.0.11, .12, ...) inside its own mount and
# PID namespace. A host's root is a copy-on-write overlay of this machine's,
# so whatever is written there (an installer's /etc/kubernetes, /usr/local/bin,
# /data...) stays private to that host and vanishes with it; the directories
# an installer writes start empty, and /tmp and /run are the host's own.
#
#   lab.sh start N [--port P|auto] [--dir DIR]  start hosts 1..N, print the env
#   lab.sh env DIR                              print the env again
#   lab.sh stop DIR                             stop exactly what start started
#   lab.sh kill DIR I                           crash host I (all its processes)
#   lab.sh freeze DIR I | thaw DIR I            stop or resume host I's processes
#   lab.sh run DIR I COMMAND...                 run a command inside host I
#
# The env lines are shell assignments: LAB_DIR, LAB_N, LAB_PORT, LAB_KEY (the
# client key, authorised for root and the test users), LAB_KNOWN_HOSTS (every
# host's key, as a client that trusts the lab would record it), LAB_USER (kw:
# passwordless sudo), LAB_PW_USER and LAB_PASSWORD (kwpw: password login and
# sudo with a password). Host I is 127.0.0.(10+I), its public host key
# $LAB_DIR/hI/hostkey.pub, its sshd log $LAB_DIR/hI/log/sshd.log.
#
# Needs root and unshare; exits 77 (the automake "skip" status) only when
# one of them is missing, so a test can skip honestly; installs the packages
# it needs (openssh-server, sudo, attr...) with apt-get when they are missing.
# Only loopback addresses are used.
set -eu
. "$(dirname "$0")/apt.sh"

# What an installer writes: empty and private on every host.
PRIVATE_DIRS="/etc/kubernetes /etc/containerd /etc/systemd/system /etc/cni /usr/local/bin
	/var/lib/kubelet /var/lib/etcd /var/lib/containerd /var/log/pods /opt/cni /data /root"
LAB_USER=kw
LAB_PW_USER=kwpw
LAB_PASSWORD='lab-Pa55word'

die() {
	echo "lab.sh: $*" >&2
	exit 1
}

skip() {
	echo "lab.sh: $* (skipping)" >&2
	exit 77
}

addr_of() {
	echo "127.0.0.$((10 + $1))"
}

# The lab needs root (namespaces, mounts, sshd) and the Debian packages
# openssh-server, openssh-client and sudo; install them if we may.
check_deps() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v unshare >/dev/null 2>&1 || skip "needs unshare (util-linux)"
	missing=
	[ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
	command -v ssh-keygen >/dev/null 2>&1 || missing="$missing openssh-client"
	command -v sudo >/dev/null 2>&1 || missing="$missing sudo"
	command -v ss >/dev/null 2>&1 || missing="$missing iproute2"
	command -v nsenter >/dev/null 2>&1 || missing="$missing util-linux"
	command -v pgrep >/dev/null 2>&1 || missing="$missing procps"
	command -v setfattr >/dev/null 2>&1 || missing="$missing attr"
	[ -z "$missing" ] && return 0
	command -v apt-get >/dev/null 2>&1 || die "missing:$missing (install them)"
	echo "lab.sh: installing$missing" >&2
	# shellcheck disable=SC2086
	apt_install $missing || die "could not install$missing"
}

# The script each host's namespace runs as its PID 1: build the private root,
# add the test users, then become sshd.
write_hostinit() {
	cat >"$1" <<'EOF'
set -eu
h=$1
private_dirs=$2
mount -t tmpfs -o mode=0700 lab "$h/mnt"
mkdir -p "$h/mnt/upper/etc/ssh/k8sw-lab" "$h/mnt/work" "$h/mnt/root"
cp "$h/sshd_config" "$h/hostkey" "$h/hostkey.pub" "$h/../authorized_keys" \
	"$h/mnt/upper/etc/ssh/k8sw-lab/"
chmod 600 "$h/mnt/upper/etc/ssh/k8sw-lab/hostkey"
# The directories an installer writes start empty: opaque directories in
# the upper layer hide the real machine's content without a mount each.
for d in $private_dirs; do
	mkdir -p "$h/mnt/upper$d"
	setfattr -n trusted.overlay.opaque -v y "$h/mnt/upper$d"
done
chmod 700 "$h/mnt/upper/root"
r=$h/mnt/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$h/mnt/upper,workdir=$h/mnt/work" "$r"
mount -t proc proc "$r/proc"
mount --bind /dev "$r/dev"
mount -t tmpfs -o mode=0755 run "$r/run"
mount -t tmpfs -o mode=1777 tmp "$r/tmp"
mkdir -p "$r/run/sshd" "$r/var/log/k8sw-lab"
mount --bind "$h/log" "$r/var/log/k8sw-lab"
# The test users, in this host's own /etc.
echo "kw:x:4242:4242:lab user:/home/kw:/bin/sh" >>"$r/etc/passwd"
echo "kwpw:x:4243:4243:lab user with a password:/home/kwpw:/bin/sh" >>"$r/etc/passwd"
echo "kw:x:4242:" >>"$r/etc/group"
echo "kwpw:x:4243:" >>"$r/etc/group"
echo "kw:*:19000:0:99999:7:::" >>"$r/etc/shadow"
echo "kwpw:$(cat "$h/../pwhash"):19000:0:99999:7:::" >>"$r/etc/shadow"
mkdir -p "$r/home/kw" "$r/home/kwpw"
chown 4242:4242 "$r/home/kw"
chown 4243:4243 "$r/home/kwpw"
mkdir -p "$r/etc/sudoers.d"
printf 'Defaults lecture=never\nkw ALL=(ALL:ALL) NOPASSWD: ALL\nkwpw ALL=(ALL:ALL) ALL\n' \
	>"$r/etc/sudoers.d/k8sw-lab"
chmod 440 "$r/etc/sudoers.d/k8sw-lab"
exec chroot "$r" /usr/sbin/sshd -D -f /etc/ssh/k8sw-lab/sshd_config \
	-E /var/log/k8sw-lab/sshd.log
EOF
}

write_sshd_config() {
	cat >"$1" <<EOF
ListenAddress $2:$3
HostKey /etc/ssh/k8sw-lab/hostkey
PidFile none
PermitRootLogin prohibit-password
AuthorizedKeysFile /etc/ssh/k8sw-lab/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel DEBUG1
MaxStartups 200:30:400
MaxSessions 64
Subsystem sftp /usr/lib/openssh/sftp-server
Match User $LAB_PW_USER
	PasswordAuthentication yes
	KbdInteractiveAuthentication yes
EOF
}

print_env() {
	local d=$1
	[ -f "$d/env" ] || die "$d is not a lab directory"
	cat "$d/env"
}

# The PID of host I's namespace init (its sshd), or nothing.
host_pid() {
	cat "$1/h$2/nspid" 2>/dev/null || true
}

# Is PID still the process the lab started (and not a reused PID)?
ours() {
	local pid=$1 d=$2
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "unshare.*$d/hostinit.sh"
}

# Every process in host I's PID namespace.
host_procs() {
	local nspid ns p
	nspid=$(host_pid "$1" "$2")
	[ -n "$nspid" ] || return 0
	ns=$(readlink "/proc/$nspid/ns/pid" 2>/dev/null) || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
	done
	return 0
}

stop_host() {
	local d=$1 i=$2 upid n
	upid=$(cat "$d/h$i/pid" 2>/dev/null) || return 0
	# unshare --kill-child: killing unshare kills the namespace's init, and
	# with it every process of that host; unshare is gone only once it has
	# reaped that init, which the kernel lets go only after all the others.
	if ours "$upid" "$d"; then
		kill -KILL "$upid" 2>/dev/null || true
	fi
	n=0
	while ours "$upid" "$d"; do
		n=$((n + 1))
		[ "$n" -lt 200 ] || die "host $i (pid $upid) did not stop"
		sleep 0.05
	done
	rm -f "$d/h$i/pid" "$d/h$i/nspid"
}

stop_lab() {
	local d=$1 n i
	[ -f "$d/env" ] || die "$d is not a lab directory"
	n=$(sed -n 's/^LAB_N=//p' "$d/env")
	i=1
	while [ "$i" -le "$n" ]; do
		stop_host "$d" "$i"
		i=$((i + 1))
	done
	rm -rf "$d"
}

# Start host I: its keys and config are ready in DIR/hI.
start_host() {
	local d=$1 i=$2 h=$1/h$2
	setsid unshare --mount --pid --fork --kill-child --propagation private \
		sh "$d/hostinit.sh" "$h" "$PRIVATE_DIRS" \
		</dev/null >>"$h/log/init.log" 2>&1 &
	echo $! >"$h/pid"
}

# Wait until every host listens (or one of them died). Returns 1 on failure.
wait_ready() {
	local d=$1 n=$2 port=$3 tries=0 i want
	want=$(i=1; while [ "$i" -le "$n" ]; do echo "$(addr_of "$i"):$port"; i=$((i + 1)); done)
	while :; do
		# Listening addresses of ours, one per line; all there: ready.
		[ "$(ss -Htln "sport = :$port" 2>/dev/null | awk '{print $4}' | sort -u |
			grep -cxF "$want")" -lt "$n" ] || break
		tries=$((tries + 1))
		[ "$tries" -lt 600 ] || return 1
		if [ $((tries % 10)) = 0 ]; then
			# A host that died (its address taken?) will never listen.
			i=1
			while [ "$i" -le "$n" ]; do
				ours "$(cat "$d/h$i/pid")" "$d" || return 1
				i=$((i + 1))
			done
		fi
		sleep 0.05
	done
	# Record each host's init for freeze/kill/run.
	i=1
	while [ "$i" -le "$n" ]; do
		upid=$(cat "$d/h$i/pid")
		pgrep -P "$upid" >"$d/h$i/nspid"
		i=$((i + 1))
	done
}

start_lab() {
	local n=$1 port=$2 d=$3 i=1 h
	while [ "$i" -le "$n" ]; do
		h=$d/h$i
		mkdir -p "$h/mnt" "$h/log"
		chmod 700 "$h"
		write_sshd_config "$h/sshd_config" "$(addr_of "$i")" "$port"
		start_host "$d" "$i"
		i=$((i + 1))
	done
	wait_ready "$d" "$n" "$port"
}

random_port() {
	echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 20000))
}

cmd_start() {
	local n= port=22 d= i auto attempt hn
	while [ $# -gt 0 ]; do
		case $1 in
		--port) port=$2; shift 2 ;;
		--dir) d=$2; shift 2 ;;
		*) [ -z "$n" ] || die "usage: lab.sh start N [--port P|auto] [--dir DIR]"; n=$1; shift ;;
		esac
	done
	case $n in '' | *[!0-9]*) die "usage: lab.sh start N [--port P|auto] [--dir DIR]" ;; esac
	[ "$n" -ge 1 ] && [ "$n" -le 240 ] || die "N must be 1..240"
	check_deps
	if [ -z "$d" ]; then
		d=$(mktemp -d "${TMPDIR:-/tmp}/k8sw-lab.XXXXXX")
	else
		mkdir -p "$d"
	fi
	d=$(cd "$d" && pwd)
	chmod 700 "$d"
	write_hostinit "$d/hostinit.sh"
	ssh-keygen -q -t ed25519 -N '' -C k8sw-lab-client -f "$d/client_key"
	cp "$d/client_key.pub" "$d/authorized_keys"
	chmod 644 "$d/authorized_keys"
	openssl passwd -6 "$LAB_PASSWORD" >"$d/pwhash"
	: >"$d/known_hosts"
	i=1
	while [ "$i" -le "$n" ]; do
		mkdir -p "$d/h$i"
		ssh-keygen -q -t ed25519 -N '' -C "k8sw-lab-h$i" -f "$d/h$i/hostkey"
		i=$((i + 1))
	done
	auto=
	[ "$port" != auto ] || auto=1
	attempt=0
	while :; do
		[ -z "$auto" ] || port=$(random_port)
		cat >"$d/env" <<EOF
LAB_DIR=$d
LAB_N=$n
LAB_PORT=$port
LAB_KEY=$d/client_key
LAB_KNOWN_HOSTS=$d/known_hosts
LAB_USER=$LAB_USER
LAB_PW_USER=$LAB_PW_USER
LAB_PASSWORD=$LAB_PASSWORD
EOF
		if start_lab "$n" "$port" "$d"; then
			break
		fi
		i=1
		while [ "$i" -le "$n" ]; do
			stop_host "$d" "$i"
			i=$((i + 1))
		done
		attempt=$((attempt + 1))
		if [ -z "$auto" ] || [ "$attempt" -ge 5 ]; then
			cat "$d"/h*/log/*.log >&2 2>/dev/null || true
			rm -rf "$d"
			die "the hosts did not start (port $port)"
		fi
	done
	: >"$d/known_hosts"
	i=1
	while [ "$i" -le "$n" ]; do
		if [ "$port" = 22 ]; then
			hn=$(addr_of "$i")
		else
			hn="[$(addr_of "$i")]:$port"
		fi
		echo "$hn $(cut -d' ' -f1,2 "$d/h$i/hostkey.pub")" >>"$d/known_hosts"
		i=$((i + 1))
	done
	print_env "$d"
}

signal_host() {
	local sig=$1 d=$2 i=$3 p
	for p in $(host_procs "$d" "$i"); do
		kill "-$sig" "$p" 2>/dev/null || true
	done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
start) cmd_start "$@" ;;
env) print_env "${1:?usage: lab.sh env DIR}" ;;
stop) stop_lab "${1:?usage: lab.sh stop DIR}" ;;
kill) stop_host "${1:?usage: lab.sh kill DIR I}" "${2:?usage: lab.sh kill DIR I}" ;;
freeze) signal_host STOP "${1:?usage: lab.sh freeze DIR I}" "${2:?}" ;;
thaw) signal_host CONT "${1:?usage: lab.sh thaw DIR I}" "${2:?}" ;;
run)
	d=${1:?usage: lab.sh run DIR I COMMAND...}
	i=${2:?usage: lab.sh run DIR I COMMAND...}
	shift 2
	pid=$(host_pid "$d" "$i")
	[ -n "$pid" ] || die "host $i is not running"
	exec nsenter --target "$pid" --mount --pid --root --wd -- "$@"
	;;
*)
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
esac
