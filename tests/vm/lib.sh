# Helpers for VM suites (sourced; POSIX sh).  Each check prints exactly
# one line, "PASS: vm: NAME" or "FAIL: vm: NAME: REASON".

TESS_FAILED=0

pass() {
	echo "PASS: vm: $1"
}

fail() {
	echo "FAIL: vm: $1: $2"
	TESS_FAILED=1
}

# check NAME COMMAND...: pass if COMMAND succeeds, else fail with its output
check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		pass "$_name"
	else
		fail "$_name" "'$*' failed: $(echo "$_out" | tr '\n' ' ' | cut -c1-300)"
	fi
}

module_loaded() {
	grep -q "^$1 " /proc/modules
}

# dmesg lines printed since dmesg_mark was called
dmesg_mark() {
	TESS_DMESG_MARK=$(dmesg | wc -l)
}

dmesg_since_mark() {
	dmesg | tail -n +"$((TESS_DMESG_MARK + 1))"
}

# cluster_net N: a bridge br0 with 10.77.0.1/24 in this namespace (MDS and
# clients) and N namespaces ost0..ost(N-1), each behind a veth voI on the
# bridge, with address 10.77.0.(10+I).  Only addresses made here are used.
cluster_net() {
	ip link set lo up
	ip link add br0 type bridge
	ip addr add 10.77.0.1/24 dev br0
	ip link set br0 up
	_i=0
	while [ $_i -lt "$1" ]; do
		ip netns add ost$_i
		ip link add vo$_i type veth peer name eth0 netns ost$_i
		ip link set vo$_i master br0 up
		ip -n ost$_i addr add 10.77.0.$((10 + _i))/24 dev eth0
		ip -n ost$_i link set eth0 up
		ip -n ost$_i link set lo up
		_i=$((_i + 1))
	done
}
