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
