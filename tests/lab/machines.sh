#!/bin/sh
# The machines lab: hosts that behave like servers, for the install engine's
# end-to-end tests. Each host is a systemd-nspawn container booted from a
# Debian 12 root (debootstrap, cached once per machine) under a per-host
# overlay: systemd is PID 1 and runs sshd, containerd, journald and the units
# an installer writes, on a cgroup v2 hierarchy of its own; each host has its
# own network namespace, on a veth to this lab's bridge, with the address
# the lab assigns. The lab plays the operator too: haproxy on the jump-host
# side of the bridge is the load balancer at the API's VIP. (tests/lab/lab.sh,
# sshd in namespaces on loopback, stays for the exec/copy tests.)
#
#   machines.sh start [--dir DIR] NAME...  boot hosts NAME... (master1 node1...), print the env
#   machines.sh env DIR                     print the env again
#   machines.sh stop DIR                    stop exactly what start started, remove the bridge, DIR
#   machines.sh run DIR NAME CMD...         run CMD inside host NAME (not over SSH), as root
#   machines.sh kill-sshd DIR NAME          kill sshd and its sessions on NAME (connections drop)
#   machines.sh start-sshd DIR NAME         start it again
#   machines.sh freeze DIR NAME             stop every process of NAME (cgroup v2 freezer;
#                                           a run on a frozen host waits for the thaw)
#   machines.sh thaw DIR NAME               let them run again
#
# In DIR: hosts/NAME/console.log (the host's console: systemd's boot),
# hosts/NAME/upper (what the host wrote), haproxy.cfg and haproxy.log, env.
#
# The env lines are shell assignments: LAB_DIR, LAB_ID, LAB_HOSTS (the names),
# LAB_ADDR_<NAME> (a host's address; - in NAME becomes _), LAB_SUBNET,
# LAB_BRIDGE, LAB_VIP (on the bridge; haproxy listens on LAB_VIP:7443 and
# forwards to every master's :7443), LAB_KEY (client key, authorised for root
# on every host), LAB_KNOWN_HOSTS (every host's key under its address),
# LAB_BUNDLE (binaries and manifests for k8s-wizard's binaries.bundleDir) and
# LAB_PLAN (the default plan on these hosts, checked by k8s-wizard plan check).
#
# Addresses come from 198.18.0.0/15 (RFC 2544, never routed): a free
# 198.18.N.0/24 per lab, the bridge .254, the VIP .10, hosts .11, .12, ...
# Before printing the env, start checks with `ip route get` that every host
# address goes through this lab's bridge and that the VIP is on it, and
# fails otherwise. The bridge does not forward (net.ipv4.conf.BRIDGE.forwarding
# is 0) and nothing is NATed: the hosts reach nothing but the lab.
# Names starting with "master" get roles [master, etcd] in LAB_PLAN, the
# others [worker]; when that is no valid plan (one master and no worker...),
# start says so and LAB_PLAN is the plan as edited, not checked.
#
# The base root is built once in $K8SW_LAB_CACHE (default
# /var/cache/k8s-wizard-lab), keyed by a hash of its recipe below, under a
# lock. The stand-ins for what a container cannot do (tests/lab/standin:
# modprobe, lsmod, sysctl) form a small layer of each lab between the base
# and each host's upper directory; crictl and the kubelet stand-in are in the
# bundle, which the installer uploads.
#
# Needs root; exits 77 (the automake "skip" status) only when this machine
# cannot run containers at all (not root, no overlayfs, no cgroup v2
# hierarchy, no namespaces); installs the Debian packages it needs
# (systemd-container, debootstrap, haproxy...) with apt-get.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lab/apt.sh"
me="$top/tests/lab/machines.sh"
STANDIN_DIR="$top/tests/lab/standin"
CACHE=${K8SW_LAB_CACHE:-/var/cache/k8s-wizard-lab}
API_PORT=7443
MARKER="k8s-wizard machines lab"
HOST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
	echo "machines.sh: $*" >&2
	exit 1
}

skip() {
	echo "machines.sh: $* (skipping)" >&2
	exit 77
}

say() {
	echo "machines.sh: $*" >&2
}

# --- base recipe ---
# Everything between these markers is hashed into the base root's cache key.
SUITE=bookworm
BASE_PACKAGES="systemd systemd-sysv dbus openssh-server sudo iproute2 procps util-linux
	coreutils containerd runc etcd-server haproxy python3 python3-yaml ipvsadm ipset
	openssl ca-certificates netbase"

# base_recipe ROOT: make a debootstrapped ROOT look like a freshly installed
# server that nobody has configured for Kubernetes yet.
base_recipe() {
	chroot "$1" /bin/sh -eu <<'EOF'
# Installed but not configured: an installer starts what it configures. Its
# containerd is /usr/local/bin/containerd under its own unit in
# /etc/systemd/system, etcd a static pod; haproxy is for the endpoint modes.
systemctl disable -q containerd.service etcd.service haproxy.service
rm -f /etc/containerd/config.toml
# Nothing here for timers that reach for the network or for real disks.
systemctl disable -q apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
	e2scrub_reap.service fstrim.timer
# The host configures the address the lab gives it (eth0, see machines.sh).
systemctl enable -q systemd-networkd.service
# Host keys are made per host at start; root logs in with the lab's key only.
rm -f /etc/ssh/ssh_host_*
cat >/etc/ssh/sshd_config.d/k8sw-lab.conf <<'EOC'
# k8s-wizard lab host (tests/lab/machines.sh): one host key, made at start;
# root logs in with the lab's client key only.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
EOC
# procps's sysctl steps aside for the lab's stand-in (tests/lab/standin).
dpkg-divert --local --quiet --rename --divert /sbin/sysctl.procps --add /sbin/sysctl
# Each host gets its own name, machine id and (no) resolver at start.
echo localhost >/etc/hostname
: >/etc/machine-id
printf '# k8s-wizard lab host: no name server, nothing outside the lab.\n' >/etc/resolv.conf
apt-get clean
EOF
}
# --- end of base recipe ---

base_hash() {
	sed -n '/^# --- base recipe ---$/,/^# --- end of base recipe ---$/p' "$me" |
		sha256sum | cut -c1-16
}

# The Debian mirror of this machine's apt sources (deb822 or one-line).
apt_mirror() {
	local m
	if [ -n "${K8SW_LAB_MIRROR:-}" ]; then
		echo "$K8SW_LAB_MIRROR"
		return
	fi
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$SUITE" '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") &&
			    (" " comps " ") ~ / main / && enabled != "no" && uri != "" && !found) {
				print uri; found = 1
			}
			types = suites = comps = uri = enabled = ""
		}
		/^[ \t]*$/ { flush(); next }
		tolower($1) == "types:" { $1 = ""; types = $0 }
		tolower($1) == "uris:" { uri = $2 }
		tolower($1) == "suites:" { $1 = ""; suites = $0 }
		tolower($1) == "components:" { $1 = ""; comps = $0 }
		tolower($1) == "enabled:" { enabled = tolower($2) }
		END { flush() }')
	if [ -z "$m" ]; then
		m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v suite="$SUITE" '
			$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite) { for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; exit } } }')
	fi
	[ -n "$m" ] || die "no Debian $SUITE mirror with main in /etc/apt/sources.list*; set K8SW_LAB_MIRROR"
	echo "$m"
}

build_base() {
	local dest=$1 tmp mirror t0 rc
	tmp=$dest.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	mirror=$(apt_mirror)
	t0=$(date +%s)
	say "building the hosts' base root (Debian $SUITE from $mirror) in $dest: a few minutes, once"
	# Stage lines only on the terminal; the whole log stays beside the root.
	{
		# shellcheck disable=SC2046
		debootstrap --variant=minbase --include=$(echo $BASE_PACKAGES | tr ' ' ,) \
			"$SUITE" "$tmp/root" "$mirror" 2>&1
		echo "rc $?"
	} | tee "$tmp/debootstrap.log" | awk '
		/^I: Retrieving / { n++ } /^I: Extracting / && !x++ { print "machines.sh: debootstrap: " n " packages retrieved" > "/dev/stderr" }
		/^I: (Retrieving (InRelease|Packages)|Installing|Unpacking|Configuring [a-z ]*packages|Base)/ {
			print "machines.sh: debootstrap: " substr($0, 4) > "/dev/stderr" }'
	rc=$(sed -n 's/^rc //p' "$tmp/debootstrap.log")
	if [ "$rc" != 0 ]; then
		tail -30 "$tmp/debootstrap.log" >&2
		rm -rf "$tmp"
		die "debootstrap failed (exit $rc)"
	fi
	base_recipe "$tmp/root" || { rm -rf "$tmp"; die "the base recipe failed"; }
	mv "$tmp" "$dest"
	say "base root built in $(($(date +%s) - t0)) s ($(du -sh "$dest/root" | cut -f1))"
}

# Set BASE to the cached base root, building it first if needed. Concurrent
# starts wait for one build instead of making two.
ensure_base() {
	local d
	d=$CACHE/base-$(base_hash)
	BASE=$d/root
	[ -d "$BASE" ] && return 0
	mkdir -p "$CACHE"
	exec 9>>"$CACHE/.lock"
	if ! flock -n 9; then
		say "waiting for another start building the base root"
		flock 9
	fi
	if [ ! -d "$BASE" ]; then
		rm -rf "$d".tmp.*
		build_base "$d"
	fi
	exec 9>&-
}

# The lab needs root, overlayfs, a cgroup v2 hierarchy and namespaces; it
# installs the Debian packages it uses.
check_deps() {
	local missing policy
	[ "$(id -u)" = 0 ] || skip "needs root"
	grep -qw overlay /proc/filesystems || skip "needs overlayfs"
	[ -n "$(cgroup2_root)" ] || skip "needs a cgroup v2 hierarchy"
	command -v unshare >/dev/null 2>&1 || skip "needs unshare (util-linux)"
	unshare --mount --net true 2>/dev/null || skip "cannot make mount and network namespaces"
	missing=
	command -v systemd-nspawn >/dev/null 2>&1 || missing="$missing systemd-container"
	command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
	[ -x /usr/sbin/haproxy ] || missing="$missing haproxy"
	command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 ||
		missing="$missing openssh-client"
	command -v ip >/dev/null 2>&1 && command -v ss >/dev/null 2>&1 || missing="$missing iproute2"
	command -v nsenter >/dev/null 2>&1 && command -v flock >/dev/null 2>&1 ||
		missing="$missing util-linux"
	python3 -c 'import yaml' 2>/dev/null || missing="$missing python3 python3-yaml"
	[ -z "$missing" ] && return 0
	command -v apt-get >/dev/null 2>&1 || die "missing:$missing (install them)"
	say "installing$missing"
	# shellcheck disable=SC2086
	apt_install $missing || die "could not install$missing"
}

# Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or .../unified
# on a hybrid machine), and the v1 name=systemd one if there is one.
cgroup2_root() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}

cgroup_systemd_root() {
	awk '$3 == "cgroup" && $4 ~ /(^|,)name=systemd(,|$)/ { print $2; exit }' /proc/self/mounts
}

# --- The lab directory ---------------------------------------------------
# DIR/lab.state: the marker, then one line per resource start created or is
# about to create (id, cgroup roots, bridge, veth, host), so that stop
# removes exactly those, whatever point start reached.

state_add() {
	echo "$2" >>"$1/lab.state"
}

state_get() {
	sed -n "s/^$2 //p" "$1/lab.state"
}

lab_dir() {
	local d=$1
	[ -d "$d" ] || die "$d: no such lab directory"
	[ "$(head -1 "$d/lab.state" 2>/dev/null)" = "$MARKER" ] ||
		die "$d is not a machines lab directory"
	(cd "$d" && pwd)
}

# The cgroup (v2) of host NAME, where nspawn and every process of the host run.
host_cgroup() {
	echo "$(state_get "$1" cgroup2)/$(state_get "$1" id)/$2"
}

# The host PID of NAME's systemd (PID 1 of its PID namespace), or nothing.
leader_of() {
	local cg f p
	cg=$(host_cgroup "$1" "$2")/payload
	[ -d "$cg" ] || return 0
	for f in $(find "$cg" -name cgroup.procs 2>/dev/null); do
		for p in $(cat "$f" 2>/dev/null); do
			if awk '/^NSpid:/ { ok = (NF > 2 && $NF == 1) } END { exit !ok }' \
				"/proc/$p/status" 2>/dev/null; then
				echo "$p"
				return 0
			fi
		done
	done
	return 0
}

valid_host() {
	grep -qx "host $2" "$1/lab.state" || die "no host $2 in the lab $1"
}

# in_host DIR NAME CMD...: run CMD in NAME's namespaces, with a login's PATH,
# counted among NAME's processes (frozen and stopped with them).
in_host() {
	local d=$1 name=$2 leader cg
	shift 2
	leader=$(leader_of "$d" "$name")
	[ -n "$leader" ] || die "host $name is not running"
	cg=$(host_cgroup "$d" "$name")/run
	mkdir -p "$cg"
	echo $$ >"$cg/cgroup.procs"
	exec nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup --root --wd \
		-- env -i PATH="$HOST_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

# --- start ---------------------------------------------------------------

# A free 198.18.N.0/24: no address or route of this machine in it, and the
# bridge named after it created by us (an atomic claim among concurrent labs).
claim_subnet() {
	local d=$1 n=1 br
	while [ "$n" -le 254 ]; do
		br=k8swlab$n
		if ! ip -4 -o addr show | grep -q " 198\.18\.$n\." &&
			! ip -4 route show table all | grep -q "198\.18\.$n\." &&
			ip link add "$br" type bridge 2>/dev/null; then
			state_add "$d" "bridge $br"
			echo "$n"
			return 0
		fi
		n=$((n + 1))
	done
	die "no free 198.18.N.0/24 for a lab bridge"
}

setup_bridge() {
	local br=$1 n=$2
	# The hosts' gateway goes nowhere: this bridge never forwards.
	echo 0 >"/proc/sys/net/ipv4/conf/$br/forwarding"
	[ "$(cat "/proc/sys/net/ipv4/conf/$br/forwarding")" = 0 ] || die "cannot stop $br forwarding"
	[ ! -e "/proc/sys/net/ipv6/conf/$br/disable_ipv6" ] ||
		echo 1 >"/proc/sys/net/ipv6/conf/$br/disable_ipv6"
	ip addr add "198.18.$n.254/24" dev "$br"
	ip addr add "198.18.$n.10/24" dev "$br"
	ip link set "$br" up
}

# The lab's layer over the base: the stand-ins for what a container cannot
# do, and this kernel's sysctl keys (the sysctl stand-in's "does it exist").
make_layer() {
	local l=$1/layer
	mkdir -p "$l/usr/sbin" "$l/usr/lib/k8sw-lab"
	chmod 755 "$l" "$l/usr" "$l/usr/sbin" "$l/usr/lib" "$l/usr/lib/k8sw-lab"
	for f in modprobe lsmod sysctl; do
		install -m 0755 "$STANDIN_DIR/$f" "$l/usr/sbin/$f"
	done
	(cd /proc/sys && find . -type f 2>/dev/null | sed 's|^\./||; s|/|.|g' | sort) \
		>"$l/usr/lib/k8sw-lab/sysctl-keys"
	cat >"$l/usr/lib/k8sw-lab/README" <<'EOF'
This host is a container of the k8s-wizard lab (tests/lab/machines.sh).
/usr/sbin/modprobe, lsmod and sysctl are the lab's stand-ins (tests/lab/standin):
they record in /run/k8sw-lab what a container cannot do to the kernel.
EOF
}

make_bundle() {
	local b=$1/bundle kubectl v
	mkdir -p "$b/bin" "$b/manifests"
	cp "$BASE/usr/bin/containerd" "$BASE/usr/bin/containerd-shim-runc-v2" "$BASE/usr/bin/ctr" \
		"$b/bin/"
	cp "$BASE/usr/sbin/runc" "$b/bin/runc"
	install -m 0755 "$STANDIN_DIR/crictl" "$b/bin/crictl"
	if [ -f "$STANDIN_DIR/kubelet" ]; then
		install -m 0755 "$STANDIN_DIR/kubelet" "$b/bin/kubelet"
	else
		printf '#!/bin/sh\n# Placeholder of the lab bundle: the kubelet stand-in is not built yet.\n%s\nexit 1\n' \
			'echo "kubelet stand-in not built yet (tests/lab/standin/kubelet)" >&2' >"$b/bin/kubelet"
		chmod 755 "$b/bin/kubelet"
		say "warning: no tests/lab/standin/kubelet: the bundle's kubelet exits 1"
	fi
	kubectl=
	for k in /usr/lib/google-cloud-sdk/bin/kubectl.1.29 "$(command -v kubectl 2>/dev/null || true)"; do
		[ -n "$k" ] && [ -x "$k" ] || continue
		v=$("$k" version --client 2>/dev/null | sed -n 's/^Client Version: v\([0-9]*\.[0-9]*\).*/\1/p')
		if [ "$v" = 1.29 ]; then
			kubectl=$k
			break
		fi
	done
	if [ -n "$kubectl" ]; then
		cp "$kubectl" "$b/bin/kubectl"
	else
		printf '#!/bin/sh\n# Placeholder of the lab bundle: this machine has no kubectl 1.29.\n%s\nexit 1\n' \
			'echo "no kubectl 1.29 on the jump host that made this lab bundle" >&2' >"$b/bin/kubectl"
		chmod 755 "$b/bin/kubectl"
		say "warning: no kubectl 1.29 here (kubectl.1.29 of package kubectl): the bundle's kubectl exits 1"
	fi
	cp "$top/tests/fixtures/bundle/manifests/"*.yaml "$b/manifests/"
}

# The default plan, on these hosts: see the header for what changes.
make_plan() {
	local d=$1 k8sw subnet=$2 vip=$3
	shift 3
	k8sw=${K8SW:-}
	[ -n "$k8sw" ] || for k in "$top/build/k8s-wizard" "$top/k8s-wizard"; do
		[ -x "$k" ] && { k8sw=$k; break; }
	done
	[ -n "$k8sw" ] && [ -x "$k8sw" ] || die "no k8s-wizard binary for the plan (set K8SW=PATH)"
	export K8SW_ASSETS_DIR="${K8SW_ASSETS_DIR:-$top/assets}"
	export K8SW_STATE_DIR="$d/state"
	"$k8sw" plan init >"$d/plan.default.yaml" || die "k8s-wizard plan init failed"
	python3 - "$d/plan.default.yaml" "$d/plan.edit.yaml" "$d/client_key" "$vip" "$d/bundle" \
		"$subnet" "$@" <<'EOF' || die "could not write the lab's plan"
import sys
import yaml
src, dst, key, vip, bundle, subnet = sys.argv[1:7]
with open(src, encoding="utf-8") as f:
    plan = yaml.safe_load(f)
plan["hosts"] = [{"name": name, "address": addr,
                  "roles": ["master", "etcd"] if name.startswith("master") else ["worker"]}
                 for name, addr in (h.split("=", 1) for h in sys.argv[7:])]
plan["ssh"]["user"] = "root"
plan["ssh"]["identityFile"] = key
plan["network"]["apiserverVIP"] = vip
plan["binaries"]["bundleDir"] = bundle
plan["addons"]["csrApprover"]["providerIPPrefixes"] = [subnet]
with open(dst, "w", encoding="utf-8") as f:
    yaml.safe_dump(plan, f, sort_keys=False)
EOF
	# Canonical form; a lab whose names make no valid cluster (one master,
	# no worker...) still starts, and says so: its plan is for bad-plan tests.
	if "$k8sw" plan export -f "$d/plan.edit.yaml" -o "$d/plan.yaml" 2>"$d/plan.err"; then
		"$k8sw" plan check -f "$d/plan.yaml" >&2 ||
			die "k8s-wizard plan check refused the plan that plan export wrote"
	else
		cat "$d/plan.err" >&2
		mv "$d/plan.edit.yaml" "$d/plan.yaml"
		say "warning: LAB_PLAN is not a valid plan for these hosts (see above)"
	fi
	rm -f "$d/plan.default.yaml" "$d/plan.edit.yaml" "$d/plan.err"
}

# A host's own files, written into its overlay's upper directory.
make_host() {
	local d=$1 name=$2 addr=$3 gw=$4 h=$1/hosts/$2
	mkdir -p "$h/upper" "$h/work" "$h/root" "$h/containerd"
	chmod 755 "$h/upper"
	u=$h/upper
	mkdir -p "$u/etc/ssh" "$u/etc/systemd/network" "$u/root/.ssh"
	echo "$name" >"$u/etc/hostname"
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n' \
		"$addr" "$name" >"$u/etc/hosts"
	tr -d '-' </proc/sys/kernel/random/uuid >"$u/etc/machine-id"
	cat >"$u/etc/systemd/network/10-k8sw-lab.network" <<EOF
# k8s-wizard lab: this host's address on the lab bridge.
[Match]
Name=eth0

[Network]
Address=$addr/24
Gateway=$gw
ConfigureWithoutCarrier=yes
IPv6AcceptRA=no
EOF
	ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$u/etc/ssh/ssh_host_ed25519_key"
	chmod 700 "$u/root" "$u/root/.ssh"
	install -m 0600 "$d/client_key.pub" "$u/root/.ssh/authorized_keys"
	echo "$addr $(cut -d' ' -f1,2 "$u/etc/ssh/ssh_host_ed25519_key.pub")" >>"$d/known_hosts"
}

# Boot host NAME in the background: its wrapper joins the host's cgroups,
# mounts the overlay in a mount namespace of its own (gone with the host)
# and becomes systemd-nspawn.
boot_host() {
	local d=$1 name=$2 veth=$3 cg cgs
	cg=$(host_cgroup "$d" "$name")
	cgs=
	[ -z "$(state_get "$d" cgroup1)" ] || cgs=$(state_get "$d" cgroup1)/$(state_get "$d" id)/$name
	mkdir -p "$cg"
	[ -z "$cgs" ] || mkdir -p "$cgs"
	setsid unshare --mount --propagation private \
		sh "$d/boot.sh" "$d" "$name" "$veth" "$BASE" "$cg" "$cgs" \
		</dev/null >"$d/hosts/$name/console.log" 2>&1 &
	echo $! >"$d/hosts/$name/pid"
}

write_boot() {
	cat >"$1/boot.sh" <<'EOF'
# One lab host (machines.sh boot_host): DIR NAME VETH BASE CGROUP2 [CGROUP1].
set -eu
d=$1 name=$2 veth=$3 base=$4
echo $$ >"$5/cgroup.procs"
[ -z "$6" ] || echo $$ >"$6/cgroup.procs"
h=$d/hosts/$name
mount -t overlay overlay -o "lowerdir=$d/layer:$base,upperdir=$h/upper,workdir=$h/work" "$h/root"
# The host's own cgroup v2 tree (what the installer's preflight expects).
# containerd's snapshots on a real file system, as on a server's disk
# (overlayfs cannot stack on the host's overlay root); the keyring calls
# that runc makes for each container, which nspawn refuses by default.
export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
exec systemd-nspawn --quiet --directory="$h/root" --boot --register=no --keep-unit \
	--machine="$name" --hostname="$name" --resolv-conf=off --timezone=off \
	--link-journal=no --console=read-only --network-veth-extra="$veth:eth0" \
	--system-call-filter=@keyring --bind="$h/containerd:/var/lib/containerd"
EOF
}

# Wait for host NAME's end of its veth, and put it on the bridge.
plug_host() {
	local d=$1 name=$2 veth=$3 br=$4 n=0
	until ip link show "$veth" >/dev/null 2>&1; do
		n=$((n + 1))
		if [ "$n" -gt 300 ] || ! kill -0 "$(cat "$d/hosts/$name/pid")" 2>/dev/null; then
			tail -20 "$d/hosts/$name/console.log" >&2
			die "host $name did not start"
		fi
		sleep 0.1
	done
	[ ! -e "/proc/sys/net/ipv6/conf/$veth/disable_ipv6" ] ||
		echo 1 >"/proc/sys/net/ipv6/conf/$veth/disable_ipv6"
	ip link set "$veth" master "$br" up
}

# Safety: every host address must go through this lab's bridge (directly,
# no gateway) and the VIP must be the bridge's own.
check_routes() {
	local d=$1 br=$2 vip=$3 a r
	for a in $(sed -n 's/^LAB_ADDR_[A-Za-z0-9_]*=//p' "$d/env.new"); do
		r=$(ip route get "$a" 2>&1) || die "ip route get $a: $r"
		case " $r " in
		*" via "*) die "safety: $a goes through a gateway ($r), not the lab bridge $br" ;;
		*" dev $br "*) ;;
		*) die "safety: $a does not go through the lab bridge $br ($r)" ;;
		esac
	done
	ip -4 -o addr show dev "$br" | grep -q " inet $vip/" ||
		die "safety: the VIP $vip is not on the lab bridge $br"
}

# Wait until NAME's systemd has booted and its sshd lets the lab key in.
wait_host() {
	local d=$1 name=$2 addr=$3 state n=0
	while [ -z "$(leader_of "$d" "$name")" ]; do
		n=$((n + 1))
		[ "$n" -lt 300 ] || die "host $name: no systemd after 30 s"
		sleep 0.1
	done
	# Until its manager answers on its bus, then until the boot is over.
	# "offline": PID 1 is not systemd yet (nspawn's child before its exec).
	n=0
	while :; do
		state=$(timeout 180 sh "$me" run "$d" "$name" systemctl is-system-running --wait 2>&1) ||
			true
		case $state in
		*"Failed to connect to bus"* | *"Transport endpoint is not connected"* | offline) ;;
		*) break ;;
		esac
		n=$((n + 1))
		[ "$n" -lt 300 ] || break
		sleep 0.1
	done
	case $state in
	running) ;;
	degraded)
		say "warning: host $name booted degraded: $(sh "$me" run "$d" "$name" \
			systemctl --failed --no-legend --plain 2>&1 | awk '{print $1}' | tr '\n' ' ')"
		;;
	*)
		tail -30 "$d/hosts/$name/console.log" >&2
		die "host $name did not boot (systemctl is-system-running: $state)"
		;;
	esac
	n=0
	until ssh -F /dev/null -i "$d/client_key" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o UserKnownHostsFile="$d/known_hosts" -o StrictHostKeyChecking=yes \
		-o ConnectTimeout=5 "root@$addr" true 2>"$d/hosts/$name/ssh.err"; do
		n=$((n + 1))
		[ "$n" -lt 50 ] || die "host $name: ssh root@$addr failed: $(cat "$d/hosts/$name/ssh.err")"
		sleep 0.2
	done
}

start_haproxy() {
	local d=$1 vip=$2 cg n=0
	{
		printf '# The load balancer the operator provides at the API VIP (machines.sh).\n'
		printf 'global\n\tlog stdout format raw local0\n\tmaxconn 4096\n\n'
		printf 'defaults\n\tmode tcp\n\tlog global\n\toption tcplog\n'
		printf '\ttimeout connect 5s\n\ttimeout client 1h\n\ttimeout server 1h\n\n'
		printf 'frontend apiserver\n\tbind %s:%s\n\tdefault_backend masters\n\n' "$vip" "$API_PORT"
		printf 'backend masters\n\tbalance roundrobin\n\tdefault-server check inter 2s fall 2 rise 1\n'
		for h in $(state_get "$d" host); do
			case $h in
			master*) printf '\tserver %s %s:%s\n' "$h" "$(sed -n "s/^addr $h //p" "$d/lab.state")" \
				"$API_PORT" ;;
			esac
		done
	} >"$d/haproxy.cfg"
	/usr/sbin/haproxy -c -q -f "$d/haproxy.cfg" >&2 || die "haproxy -c refused $d/haproxy.cfg"
	cg=$(state_get "$d" cgroup2)/$(state_get "$d" id)/haproxy
	mkdir -p "$cg"
	# shellcheck disable=SC2016
	setsid sh -c 'echo $$ >"$1/cgroup.procs" && exec /usr/sbin/haproxy -db -f "$2"' sh \
		"$cg" "$d/haproxy.cfg" </dev/null >"$d/haproxy.log" 2>&1 &
	until ss -Htln "sport = :$API_PORT" | awk '{print $4}' | grep -qx "$vip:$API_PORT"; do
		n=$((n + 1))
		if [ "$n" -gt 100 ]; then
			cat "$d/haproxy.log" >&2
			die "haproxy does not listen on $vip:$API_PORT"
		fi
		sleep 0.1
	done
}

name_ok() {
	case $1 in
	'' | -* | *- | *[!a-z0-9-]*) return 1 ;;
	esac
	[ "${#1}" -le 63 ]
}

cmd_start() {
	local d='' names='' n br id i addr veth var t0 cg2 cgs
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) d=${2:?usage: machines.sh start [--dir DIR] NAME...}; shift 2 ;;
		-*) die "usage: machines.sh start [--dir DIR] NAME..." ;;
		*)
			name_ok "$1" || die "bad host name '$1' (lower-case letters, digits, -)"
			case " $names " in *" $1 "*) die "host $1 named twice" ;; esac
			names="$names $1"
			shift
			;;
		esac
	done
	names=${names# }
	[ -n "$names" ] || die "usage: machines.sh start [--dir DIR] NAME..."
	[ "$(echo "$names" | wc -w)" -le 243 ] || die "at most 243 hosts"
	t0=$(date +%s.%N)
	check_deps
	ensure_base
	if [ -z "$d" ]; then
		d=$(mktemp -d "${TMPDIR:-/tmp}/k8sw-machines.XXXXXX")
	else
		[ ! -e "$d" ] || [ -z "$(ls -A "$d" 2>/dev/null)" ] || die "$d exists and is not empty"
		mkdir -p "$d"
	fi
	d=$(cd "$d" && pwd)
	case $d in *[,:[:space:]]*) rmdir "$d"; die "no ',', ':' or spaces in the lab directory's path" ;; esac
	chmod 700 "$d"
	cg2=$(cgroup2_root)/k8sw-lab
	cgs=$(cgroup_systemd_root)
	[ -z "$cgs" ] || cgs=$cgs/k8sw-lab
	id=k8sw-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	{
		echo "$MARKER"
		echo "id $id"
		echo "cgroup2 $cg2"
		[ -z "$cgs" ] || echo "cgroup1 $cgs"
	} >"$d/lab.state"
	# From here on, a failure stops what was started (K8SW_LAB_KEEP=1 keeps it).
	STARTING=$d
	trap 'rc=$?; if [ "$rc" != 0 ] && [ -z "${K8SW_LAB_KEEP:-}" ]; then
		sh "$me" stop "$STARTING" >&2 || true; fi' EXIT
	mkdir -p "$cg2/$id"
	[ -z "$cgs" ] || mkdir -p "$cgs/$id"
	n=$(claim_subnet "$d")
	br=k8swlab$n
	setup_bridge "$br" "$n"
	ssh-keygen -q -t ed25519 -N '' -C k8sw-machines-client -f "$d/client_key"
	chmod 600 "$d/client_key"
	: >"$d/known_hosts"
	make_layer "$d"
	make_bundle "$d"
	addrs=
	i=1
	for name in $names; do
		addrs="$addrs $name=198.18.$n.$((10 + i))"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	make_plan "$d" "198.18.$n.0/24" "198.18.$n.10" $addrs
	write_boot "$d"
	{
		echo "LAB_DIR=$d"
		echo "LAB_ID=$id"
		echo "LAB_HOSTS='$names'"
	} >"$d/env.new"
	i=1
	for name in $names; do
		addr=198.18.$n.$((10 + i))
		veth=k8sw${n}h$i
		state_add "$d" "host $name"
		state_add "$d" "addr $name $addr"
		state_add "$d" "veth $veth"
		var=$(echo "$name" | tr - _)
		echo "LAB_ADDR_$var=$addr" >>"$d/env.new"
		make_host "$d" "$name" "$addr" "198.18.$n.254"
		boot_host "$d" "$name" "$veth"
		i=$((i + 1))
	done
	say "booting $(echo "$names" | wc -w) hosts on $br (198.18.$n.0/24)"
	i=1
	for name in $names; do
		plug_host "$d" "$name" "k8sw${n}h$i" "$br"
		i=$((i + 1))
	done
	check_routes "$d" "$br" "198.18.$n.10"
	i=1
	for name in $names; do
		wait_host "$d" "$name" "198.18.$n.$((10 + i))"
		i=$((i + 1))
	done
	start_haproxy "$d" "198.18.$n.10"
	cat >>"$d/env.new" <<EOF
LAB_SUBNET=198.18.$n.0/24
LAB_BRIDGE=$br
LAB_VIP=198.18.$n.10
LAB_KEY=$d/client_key
LAB_KNOWN_HOSTS=$d/known_hosts
LAB_BUNDLE=$d/bundle
LAB_PLAN=$d/plan.yaml
EOF
	# Again, last thing before the env goes out.
	check_routes "$d" "$br" "198.18.$n.10"
	mv "$d/env.new" "$d/env"
	trap - EXIT
	say "$(echo "$names" | wc -w) hosts up in $(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}') s"
	cat "$d/env"
}

# --- stop ----------------------------------------------------------------

# Kill every process in the cgroup tree CG (thawed first) and wait for it
# to empty; then remove the tree.
kill_cgroup() {
	local cg=$1 n=0 f p
	[ -d "$cg" ] || return 0
	find "$cg" -name cgroup.freeze -exec sh -c 'for f; do echo 0 >"$f"; done' sh {} + 2>/dev/null || true
	if [ -e "$cg/cgroup.kill" ]; then
		echo 1 >"$cg/cgroup.kill"
	fi
	while grep -q '^populated 1' "$cg/cgroup.events" 2>/dev/null; do
		# Without cgroup.kill (Linux < 5.14), or for a process that raced in.
		for f in $(find "$cg" -name cgroup.procs); do
			for p in $(cat "$f" 2>/dev/null); do
				kill -KILL "$p" 2>/dev/null || true
			done
		done
		n=$((n + 1))
		[ "$n" -lt 200 ] || { echo "machines.sh: processes left in $cg" >&2; return 1; }
		sleep 0.05
	done
	find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
	[ ! -d "$cg" ] || { echo "machines.sh: cannot remove $cg" >&2; return 1; }
}

cmd_stop() {
	local d=$1 id cg2 cgs rc=0 name pid l
	if [ ! -e "$d" ]; then
		say "$d: no lab there, nothing to stop"
		return 0
	fi
	# A start interrupted before it wrote anything.
	if [ -d "$d" ] && [ ! -e "$d/lab.state" ] && rmdir "$d" 2>/dev/null; then
		return 0
	fi
	d=$(lab_dir "$d")
	id=$(state_get "$d" id)
	cg2=$(state_get "$d" cgroup2)
	cgs=$(state_get "$d" cgroup1)
	[ -n "$id" ] && [ -n "$cg2" ] || die "$d/lab.state is damaged: not touching it"
	kill_cgroup "$cg2/$id" || rc=1
	# A wrapper killed before it joined its cgroup (start interrupted there).
	for name in $(state_get "$d" host); do
		pid=$(cat "$d/hosts/$name/pid" 2>/dev/null) || continue
		{ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF "$d/boot.sh" &&
			kill -KILL "$pid" 2>/dev/null || true
	done
	if [ -n "$cgs" ] && [ -d "$cgs/$id" ]; then
		find "$cgs/$id" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[ ! -d "$cgs/$id" ] || { say "cannot remove $cgs/$id"; rc=1; }
	fi
	rmdir "$cg2" 2>/dev/null || true
	[ -z "$cgs" ] || rmdir "$cgs" 2>/dev/null || true
	# Veths die with their hosts' network namespaces; one that did not, and the bridge.
	for l in $(state_get "$d" veth) $(state_get "$d" bridge); do
		if ip link show "$l" >/dev/null 2>&1; then
			ip link del "$l" || rc=1
		fi
	done
	# The overlays were mounted in the hosts' own mount namespaces; in case
	# one leaked here, it goes too.
	awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" || true; done
	[ "$rc" = 0 ] || die "could not stop everything of $d; kept it"
	rm -rf "$d"
}

# --- the other commands --------------------------------------------------

# freeze DIR NAME 1|0: freeze or thaw every process of host NAME.
freeze() {
	local d=$1 name=$2 v=$3 cg n=0
	cg=$(host_cgroup "$d" "$name")
	[ -d "$cg" ] || die "host $name is not running"
	echo "$v" >"$cg/cgroup.freeze"
	until grep -qx "frozen $v" "$cg/cgroup.events"; do
		n=$((n + 1))
		[ "$n" -lt 200 ] || die "host $name: cgroup.freeze=$v did not take"
		sleep 0.05
	done
}

kill_sshd() {
	local d=$1 name=$2
	# Stopped first, so that systemd does not restart it; then every session.
	sh "$me" run "$d" "$name" sh -c 'systemctl stop ssh.service ssh.socket 2>/dev/null
		pkill -KILL -x sshd
		n=0
		while pgrep -x sshd >/dev/null; do
			n=$((n + 1)); [ "$n" -lt 100 ] || exit 1; sleep 0.05
		done' || die "host $name: sshd did not die"
}

start_sshd() {
	local d=$1 name=$2
	sh "$me" run "$d" "$name" sh -c 'systemctl reset-failed ssh.service 2>/dev/null
		systemctl start ssh.service || exit 1
		n=0
		until ss -Htln "sport = :22" | grep -q .; do
			n=$((n + 1)); [ "$n" -lt 200 ] || exit 1; sleep 0.05
		done' || die "host $name: sshd did not start"
}

usage() {
	sed -n '2,/^set -eu/p' "$me" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
start) cmd_start "$@" ;;
env)
	d=$(lab_dir "${1:?usage: machines.sh env DIR}")
	cat "$d/env"
	;;
stop) cmd_stop "${1:?usage: machines.sh stop DIR}" ;;
run | kill-sshd | start-sshd | freeze | thaw)
	[ $# -ge 2 ] || usage
	d=$(lab_dir "$1")
	valid_host "$d" "$2"
	case $cmd in
	run)
		name=$2
		shift 2
		[ $# -gt 0 ] || usage
		in_host "$d" "$name" "$@"
		;;
	kill-sshd) kill_sshd "$d" "$2" ;;
	start-sshd) start_sshd "$d" "$2" ;;
	freeze) freeze "$d" "$2" 1 ;;
	thaw) freeze "$d" "$2" 0 ;;
	esac
	;;
*) usage ;;
esac
