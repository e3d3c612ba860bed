#!/bin/sh
# Time to generate a plan's PKI: k8s-wizard (pki list into a fresh state
# directory) against cfssl gencert + cfssljson (Debian's golang-cfssl) making
# the same set in the same run: four RSA 4096 CAs valid 100 years, the seven
# RSA 2048 leaves of the guide's table with the same subjects, SANs and
# usages, the service-account key and the bootstrap token. Done for the
# default plan and for a plan with 100 workers (kubelets get their
# certificates through TLS bootstrap, so workers add no certificate: the two
# rows show that the cost does not grow with the cluster).
#
# Usage: bench/pki-bench.sh [K8SW [RUNS]]
#   K8SW  the k8s-wizard binary (default: build/k8s-wizard, then k8s-wizard)
#   RUNS  runs per tool and plan, medians printed (default 3). RSA key
#         generation time varies run to run: use 5 or more for a steadier ratio.
set -eu

self=$0

# cfssl's inputs for the same certificates, in directory $1.
cfssl_inputs() {
	d=$1
	names='"names": [{ "C": "CN", "ST": "GD", "L": "Shenzhen", "O": "dingding", "OU": "System" }]'
	for ca in etcd-ca:etcd-ca k8s-ca:kubernetes kubelet-ca:kubelet-ca agg-ca:agg-ca; do
		cat >"$d/${ca%%:*}-csr.json" <<-EOF
		{ "CN": "${ca#*:}", "key": { "algo": "rsa", "size": 4096 }, $names,
		  "ca": { "expiry": "876000h" } }
		EOF
	done
	leaf() { # file CN O OU
		cat >"$d/$1-csr.json" <<-EOF
		{ "CN": "$2", "key": { "algo": "rsa", "size": 2048 },
		  "names": [{ "C": "CN", "ST": "GD", "L": "Shenzhen", "O": "$3", "OU": "$4" }] }
		EOF
	}
	leaf etcd-peer etcd dingding System
	leaf apiserver kubernetes dingding System
	leaf controller-manager system:kube-controller-manager system:kube-controller-manager system
	leaf kube-scheduler system:kube-scheduler system:kube-scheduler system
	leaf admin admin system:masters system
	leaf kubelet-client kubeletadmin dingding System
	leaf agg aggregator dingding System
	leaf sa service-accounts dingding System
	cat >"$d/config.json" <<-EOF
	{ "signing": { "default": { "expiry": "87600h" }, "profiles": {
	  "server": { "expiry": "87600h", "usages": ["signing", "key encipherment", "server auth"] },
	  "client": { "expiry": "87600h", "usages": ["signing", "key encipherment", "client auth"] },
	  "peer": { "expiry": "87600h",
	            "usages": ["signing", "key encipherment", "server auth", "client auth"] } } } }
	EOF
}

# The guide's way: one cfssl process per certificate.
run_cfssl() {
	d=$1
	masters=10.1.1.1,10.1.1.2,10.1.1.3
	(
		cd "$d"
		for ca in etcd-ca k8s-ca kubelet-ca agg-ca; do
			cfssl gencert -initca "$ca-csr.json" 2>/dev/null | cfssljson -bare "$ca"
		done
		sign() { # ca profile hosts name
			cfssl gencert -ca="$1.pem" -ca-key="$1-key.pem" -config=config.json \
				-profile="$2" ${3:+-hostname="$3"} "$4-csr.json" 2>/dev/null |
				cfssljson -bare "$4"
		}
		sign etcd-ca peer "$masters,127.0.0.1,localhost" etcd-peer
		api=127.0.0.1,$masters,10.1.1.10,192.168.0.1,localhost,kubernetes
		api=$api,kubernetes.default,kubernetes.default.svc,kubernetes.default.svc.cluster
		api=$api,kubernetes.default.svc.cluster.local
		sign k8s-ca server "$api" apiserver
		sign k8s-ca peer "127.0.0.1,$masters" controller-manager
		sign k8s-ca peer "127.0.0.1,$masters" kube-scheduler
		sign k8s-ca client "" admin
		sign kubelet-ca client "" kubelet-client
		sign agg-ca client "" agg
		cfssl genkey sa-csr.json 2>/dev/null | cfssljson -bare sa
		head -c 16 /dev/urandom | od -An -t x | tr -d ' ' >token
	)
}

# Internal: the script runs itself under /usr/bin/time for cfssl's part, so
# that the CPU time of every cfssl process is counted.
if [ "${K8SW_BENCH_CFSSL_DIR:-}" != "" ]; then
	run_cfssl "$K8SW_BENCH_CFSSL_DIR"
	exit 0
fi

top=$(cd "$(dirname "$0")/.." && pwd)
k8sw=${1:-}
runs=${2:-3}
if [ -z "$k8sw" ]; then
	if [ -x "$top/build/k8s-wizard" ]; then k8sw=$top/build/k8s-wizard; else k8sw=k8s-wizard; fi
fi
command -v cfssl >/dev/null && command -v cfssljson >/dev/null ||
	{ echo "cfssl and cfssljson are needed: apt-get install golang-cfssl" >&2; exit 2; }
command -v "$k8sw" >/dev/null || { echo "no k8s-wizard at $k8sw" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed: apt-get install time" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/k8sw-pki-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# median COLUMN: the median of that column of the input.
median() {
	awk -v c="$1" '{ print $c }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The plans: the default one (3 masters, 2 workers), and the same with 98
# more workers, 10.1.1.11-108: 100 in all.
"$k8sw" plan init -o "$work/default.yaml"
awk '
	/^ssh:/ && !done {
		for (i = 1; i <= 98; i++)
			printf "- name: node%d\n  address: 10.1.1.%d\n  roles: [worker]\n", i + 2, i + 10
		done = 1
	}
	{ print }
' "$work/default.yaml" >"$work/workers100.yaml"
"$k8sw" plan check -f "$work/workers100.yaml" >/dev/null

for plan in default workers100; do
	: >"$work/$plan.k8sw"
	: >"$work/$plan.cfssl"
	i=0
	while [ "$i" -lt "$runs" ]; do
		i=$((i + 1))
		# Alternate which tool goes first, so neither always gets a
		# cooler or warmer machine.
		for tool in k8sw cfssl; do
			[ $((i % 2)) = 0 ] && tool=$([ "$tool" = k8sw ] && echo cfssl || echo k8sw)
			d=$work/$plan.$tool.$i
			mkdir -p "$d"
			if [ "$tool" = k8sw ]; then
				/usr/bin/time -f '%e %U %S' -o "$d.time" "$k8sw" pki list \
					-f "$work/$plan.yaml" --state-dir "$d" >/dev/null 2>&1
				n=$(ls "$d/pki"/*.pem | wc -l)
				want=22
			else
				cfssl_inputs "$d"
				K8SW_BENCH_CFSSL_DIR=$d /usr/bin/time -f '%e %U %S' -o "$d.time" \
					sh "$self" "$k8sw"
				n=$(ls "$d"/*.pem | wc -l)
				want=23 # sa-key.pem too
			fi
			[ "$n" = "$want" ] ||
				{ echo "$tool made $n PEM files for $plan" >&2; exit 1; }
			# wall seconds, CPU seconds (user + system)
			awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$d.time" >>"$work/$plan.$tool"
			rm -rf "$d" "$d.time"
		done
	done
done

printf '%-22s %4s %12s %12s %7s %12s %12s %7s\n' plan runs "k8sw wall" "cfssl wall" ratio \
	"k8sw CPU" "cfssl CPU" ratio
for plan in default workers100; do
	aw=$(median 1 <"$work/$plan.k8sw")
	bw=$(median 1 <"$work/$plan.cfssl")
	ac=$(median 2 <"$work/$plan.k8sw")
	bc=$(median 2 <"$work/$plan.cfssl")
	label=$([ "$plan" = default ] && echo "default (3m+2w)" || echo "100 workers (3m+100w)")
	printf '%-22s %4s %11ss %11ss %6.2fx %11ss %11ss %6.2fx\n' "$label" "$runs" "$aw" "$bw" \
		"$(echo "$aw $bw" | awk '{ print $2 / $1 }')" "$ac" "$bc" \
		"$(echo "$ac $bc" | awk '{ print $2 / $1 }')"
done
echo "each: 4 RSA 4096 CAs, 7 RSA 2048 leaves, an RSA 2048 service-account key, a token."
echo "medians; every run from an empty directory; ratio = cfssl / k8s-wizard (above 1: we are"
echo "faster). CPU = user + system of every process; k8s-wizard generates keys on $(nproc) CPUs."
