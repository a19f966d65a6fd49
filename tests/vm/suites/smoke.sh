# Smoke suite: load and unload every Tessera module, the file system
# type, on-demand loading of the TCP transport, refusal of bad mount
# sources and options, `tessctl net show` / `tessctl peer show` over the
# generic netlink family of tessera_lnet (and malformed requests to it,
# tests/vm/genl-bad.py), `tessctl net add` / `net del` (root only, bad
# names, the limit of 8, the modules loaded through libkmod), --json of
# every net/peer verb, and a clean kernel log.
#
# Runs inside the VM (tests/vm/run smoke) with TESS_REPO, TESS_MODDIR and
# TESS_KVER set.

. "$TESS_REPO/tests/vm/lib.sh"

M=$TESS_MODDIR
MNT=/mnt/tessera
# the mount(2) helper prints the errno name; bounded like every step
tmount() {
	tess_timeout 60 "$TESS_REPO/build/vm/tess-mount" "$@"
	case $? in 124|137) echo "TIMEOUT after 60 s" ;; esac
}
mkdir -p $MNT

dmesg_mark

# --- modules present ---
for mod in tessera_lnet tessera_lnet_tcp tessera; do
	if [ -f "$M/$mod.ko" ]; then
		pass "built $mod.ko"
	else
		fail "built $mod.ko" "not found in $M"
	fi
done

# Let request_module() find the transport: install the modules in the
# guest's (overlay) module tree.
mkdir -p "/lib/modules/$TESS_KVER/extra/tessera"
cp "$M"/*.ko "/lib/modules/$TESS_KVER/extra/tessera/"
check "depmod (tess_depmod)" tess_depmod

# --- tessctl net/peer: generic netlink family "tessera_lnet" ---
TESSCTL=$TESS_BIN/tessctl
NETOUT=/tmp/smoke.net
# nl_unloaded NAME: `tessctl NAME show` fails (status 1) saying why
nl_unloaded() {
	tess_timeout 20 "$TESSCTL" "$1" show >"$NETOUT" 2>&1
	r=$?
	if [ $r = 1 ] && grep -qF "tessctl: $1: tessera_lnet module not loaded" "$NETOUT"; then
		pass "tessctl $1 show without tessera_lnet: 'tessera_lnet module not loaded'"
	else
		fail "tessctl $1 show without tessera_lnet: 'tessera_lnet module not loaded'" \
			"status $r: $(head -c 200 "$NETOUT")"
	fi
}
# nl_field CMD ARGS... -- KEYCOL KEY: the line of `tessctl CMD show ARGS`
# whose column KEYCOL is KEY ("" if none; status 1 if tessctl failed)
nl_line() {
	cmd=$1 col=$2 key=$3
	shift 3
	tess_timeout 20 "$TESSCTL" "$cmd" show "$@" >"$NETOUT" 2>&1 || return 1
	awk -v c="$col" -v k="$key" 'NR > 1 && $c == k' "$NETOUT"
}
if [ -x "$TESSCTL" ]; then
	pass "tessctl built ($TESSCTL)"
else
	fail "tessctl built ($TESSCTL)" "not found: run make first"
fi
nl_unloaded net
nl_unloaded peer

# --- load ---
check "modprobe libcrc32c (dependency)" modprobe libcrc32c
check "insmod tessera_lnet" insmod "$M/tessera_lnet.ko"
# fields: net state transport module port max_bulk peers
l=$(nl_line net 1 tcp)
set -- $l
if [ "$2 $3 $4 $7" = "down not-loaded tessera-lnet-tcp 0" ]; then
	pass "tessctl net show: tcp listed, down, transport not loaded, no peer"
else
	fail "tessctl net show: tcp listed, down, transport not loaded, no peer" \
		"tcp line '$l'; output: $(head -c 300 "$NETOUT")"
fi
l=$(nl_line peer 1 x; echo "status $?")
if [ "$l" = "status 0" ] && [ "$(wc -l < "$NETOUT")" = 1 ]; then
	pass "tessctl peer show: a header and no peer before any mount"
else
	fail "tessctl peer show: a header and no peer before any mount" \
		"$l; output: $(head -c 300 "$NETOUT")"
fi
check "insmod tessera" insmod "$M/tessera.ko"
if grep -qw tessera /proc/filesystems; then
	pass "tessera in /proc/filesystems"
else
	fail "tessera in /proc/filesystems" "not listed"
fi

# --- mount: the transport is loaded on demand; nothing listens here ---
ip link set lo up
KEYF=/tmp/smoke.key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $KEYF
chmod 600 $KEYF
if module_loaded tessera_lnet_tcp; then
	fail "tcp transport not loaded before mount" "already loaded"
else
	pass "tcp transport not loaded before mount"
fi
r=$(tmount 127.0.0.1@tcp:/testfs $MNT "key=$KEYF,timeout=5")
if [ "$r" = ECONNREFUSED ]; then
	pass "mount with no MDS listening fails with ECONNREFUSED"
else
	fail "mount with no MDS listening fails with ECONNREFUSED" "got $r"
fi
if module_loaded tessera_lnet_tcp; then
	pass "tcp transport loaded on demand (tessera-lnet-tcp)"
else
	fail "tcp transport loaded on demand (tessera-lnet-tcp)" "tessera_lnet_tcp not in /proc/modules"
fi
l=$(nl_line net 1 tcp)
set -- $l
if [ "$2 $3 $4" = "up loaded tessera_lnet_tcp" ] && [ "${5:-0}" -gt 0 ] 2>/dev/null; then
	pass "tessctl net show: tcp up, transport tessera_lnet_tcp loaded (port $5, max_bulk $6)"
else
	fail "tessctl net show: tcp up, transport tessera_lnet_tcp loaded" \
		"tcp line '$l'; output: $(head -c 300 "$NETOUT")"
fi
l=$(nl_line net 1 tcp --net nonet; echo "status $?")
if [ "$l" = "status 0" ] && [ "$(wc -l < "$NETOUT")" = 1 ]; then
	pass "tessctl net show --net nonet: no line"
else
	fail "tessctl net show --net nonet: no line" "$l; output: $(head -c 300 "$NETOUT")"
fi
tess_timeout 20 "$TESSCTL" peer show --net 'TCP!' >"$NETOUT" 2>&1
r=$?
if [ $r = 1 ] && grep -qF "tessctl: peer: Invalid argument: network type may hold only a-z and 0-9" "$NETOUT"; then
	pass "tessctl peer show --net 'TCP!': EINVAL with the kernel's reason"
else
	fail "tessctl peer show --net 'TCP!': EINVAL with the kernel's reason" \
		"status $r: $(head -c 300 "$NETOUT")"
fi
# malformed requests: an errno each (EINVAL with an extack message for bad
# attributes), and no kernel warning (tess_log_scan at the end)
GENL_OUT=/tmp/smoke.genl
tess_timeout 60 python3 "$TESS_REPO/tests/vm/genl-bad.py" "$TESS_REPO" >"$GENL_OUT" 2>&1
r=$?
n=0
while IFS="$(printf '\t')" read -r res name detail; do
	case $res in
	ok) pass "genl: $name ($detail)"; n=$((n + 1)) ;;
	bad) fail "genl: $name" "$detail" ;;
	esac
done < "$GENL_OUT"
if [ $r = 0 ] && [ $n -ge 42 ]; then
	pass "genl-bad.py: ran every case ($n ok)"
else
	fail "genl-bad.py: ran every case" "status $r, $n ok: $(tail -c 300 "$GENL_OUT")"
fi

# --- tessctl net add / net del: the interfaces of a network ---
# nl_run WANT-STATUS CMD ARGS...: run tessctl, output in $NETOUT (stdout)
# and $NETOUT.err; status 0 if it exited WANT-STATUS
nl_run() {
	local want=$1
	shift
	tess_timeout 20 "$TESSCTL" "$@" >"$NETOUT" 2>"$NETOUT.err"
	r=$?
	[ $r = "$want" ]
}
# nl_refused NAME WANT-STDERR ARGS...: tessctl ARGS fails (status 1) with
# exactly WANT-STDERR and nothing on stdout
nl_refused() {
	local name=$1 want=$2
	shift 2
	if nl_run 1 "$@" && [ "$(cat "$NETOUT.err")" = "$want" ] && [ ! -s "$NETOUT" ]; then
		pass "tessctl $name: '$want'"
	else
		fail "tessctl $name: '$want'" \
			"status $r: $(head -c 300 "$NETOUT.err") $(head -c 200 "$NETOUT")"
	fi
}
# nl_json NAME PY-EXPR ARGS...: tessctl ARGS succeeds and prints one JSON
# document d for which PY-EXPR is true
nl_json() {
	local name=$1 expr=$2
	shift 2
	if nl_run 0 "$@" && python3 -c "import json, sys
d = json.load(sys.stdin)
sys.exit(0 if ($expr) else 1)" <"$NETOUT" 2>>"$NETOUT.err"; then
		pass "tessctl $* (JSON): $name"
	else
		fail "tessctl $* (JSON): $name" \
			"status $r: $(head -c 300 "$NETOUT") $(head -c 300 "$NETOUT.err")"
	fi
}
# the interfaces column of the tcp line of `tessctl net show`
tcp_ifs() {
	local l
	l=$(nl_line net 1 tcp)
	set -- $l
	echo "${8:-}"
}
TCPJ='[n for n in d["nets"] if n["net"] == "tcp"]'

if nl_run 0 net add --net tcp --if lo && [ ! -s "$NETOUT" ] && [ ! -s "$NETOUT.err" ]; then
	pass "tessctl net add --net tcp --if lo"
else
	fail "tessctl net add --net tcp --if lo" "status $r: $(head -c 300 "$NETOUT.err")"
fi
expect "tessctl net show: tcp has lo, with 127.0.0.1" "lo(127.0.0.1)" "$(tcp_ifs)"
nl_json "tcp has lo, up, 127.0.0.1" \
	"$TCPJ[0]['interfaces'] == [{'name': 'lo', 'state': 'up', 'ipv4': '127.0.0.1'}] and $TCPJ[0]['state'] == 'up' and $TCPJ[0]['port'] > 0" \
	net show --json
nl_json "only tcp with --net tcp" "[n['net'] for n in d['nets']] == ['tcp']" \
	net show --net tcp --json
nl_json "an empty list for --net nonet" "d == {'nets': []}" net show --net nonet --json
nl_json "no peer before a mount" "d == {'peers': []}" peer show --json
nl_refused "net add of lo again" \
	"tessctl: net add: lo: File exists: interface already configured for this network" \
	net add --net tcp --if lo
nl_refused "net add of a missing interface" \
	"tessctl: net add: tessnope0: No such device: no such interface (in the initial network namespace)" \
	net add --net tcp --if tessnope0
nl_refused "net add of an interface name with '/'" \
	"tessctl: net add: a/b: Invalid argument: interface name may not hold '/', ':' or whitespace, nor be '.' or '..'" \
	net add --net tcp --if a/b
nl_refused "net add of an interface name of 16 characters" \
	"tessctl: net add: abcdefghijklmnop: Invalid argument: interface name must be a NUL-terminated string of 1 to 15 characters" \
	net add --net tcp --if abcdefghijklmnop
nl_refused "net add with a bad network name" \
	"tessctl: net add: lo: Invalid argument: network type may hold only a-z and 0-9" \
	net add --net 'TCP!' --if lo
nl_refused "net add on a network without a transport" \
	"tessctl: net add: lo: No such file or directory: transport not loaded: tessctl loads it; no module tessera-lnet-nonet is installed" \
	net add --net nonet --if lo
nl_refused "net add --json of a missing interface" \
	"tessctl: net add: tessnope0: No such device: no such interface (in the initial network namespace)" \
	net add --net tcp --if tessnope0 --json
# without root: EPERM and why (the dumps stay open to every user).  A
# copy of tessctl where nobody can run it: the tree may sit in a 0700
# directory (a CI clone in a mktemp -d)
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
install -d -m 0755 /run/tess-nobody
install -m 0755 "$TESSCTL" /run/tess-nobody/tessctl
for v in add del; do
	$NOBODY timeout -k 5 20 /run/tess-nobody/tessctl net $v --net tcp --if lo >"$NETOUT" 2>"$NETOUT.err"
	r=$?
	want="tessctl: net $v: lo: Operation not permitted: CAP_NET_ADMIN is needed (run it as root)"
	if [ $r = 1 ] && [ "$(cat "$NETOUT.err")" = "$want" ]; then
		pass "tessctl net $v as nobody: '$want'"
	else
		fail "tessctl net $v as nobody: '$want'" "status $r: $(head -c 300 "$NETOUT.err")"
	fi
done
$NOBODY timeout -k 5 20 /run/tess-nobody/tessctl net show --json >"$NETOUT" 2>"$NETOUT.err"
r=$?
if [ $r = 0 ] && python3 -c 'import json, sys; json.load(sys.stdin)' <"$NETOUT"; then
	pass "tessctl net show --json as nobody"
else
	fail "tessctl net show --json as nobody" "status $r: $(head -c 300 "$NETOUT.err")"
fi
expect "tessctl net show: lo still on tcp after the refusals" "lo(127.0.0.1)" "$(tcp_ifs)"
nl_json "net del answers ok" \
	"d == {'command': 'net del', 'net': 'tcp', 'if': 'lo', 'ok': True}" \
	net del --net tcp --if lo --json
expect "tessctl net show: no interface on tcp after net del" "-" "$(tcp_ifs)"
nl_json "no interface after net del" "$TCPJ[0]['interfaces'] == []" net show --json
nl_refused "net del of lo again" \
	"tessctl: net del: lo: No such file or directory: interface not configured for this network" \
	net del --net tcp --if lo
nl_json "net add answers ok" \
	"d == {'command': 'net add', 'net': 'tcp', 'if': 'lo', 'ok': True}" \
	net add --net tcp --if lo --json
check "tessctl net del --net tcp --if lo" "$TESSCTL" net del --net tcp --if lo
# at most 8 a network; interfaces down, with an address, gone
ok=1
for i in 0 1 2 3 4; do
	ip link add tsa$i type veth peer name tsb$i || ok=0
done
ip addr add 10.99.0.1/24 dev tsa0 || ok=0
expect "5 veth pairs for the limit of 8" 1 $ok
for i in 0 1 2 3; do
	for n in tsa$i tsb$i; do
		nl_run 0 net add --net tcp --if $n || fail "tessctl net add --net tcp --if $n" \
			"status $r: $(head -c 300 "$NETOUT.err")"
	done
done
nl_refused "net add of a 9th interface" \
	"tessctl: net add: tsa4: No space left on device: a network has at most 8 interfaces" \
	net add --net tcp --if tsa4
ip link del tsa3
expect "tessctl net show: 8 interfaces in order, down, with an address, missing" \
	"tsa0(down,10.99.0.1),tsb0(down),tsa1(down),tsb1(down),tsa2(down),tsb2(down),tsa3(missing),tsb3(missing)" \
	"$(tcp_ifs)"
nl_json "interface states" \
	"[(i['name'], i['state'], i['ipv4']) for i in $TCPJ[0]['interfaces']][::7] == [('tsa0', 'down', '10.99.0.1'), ('tsb3', 'missing', None)]" \
	net show --json
ok=1
for i in 0 1 2 3; do
	for n in tsa$i tsb$i; do
		nl_run 0 net del --net tcp --if $n || ok=0
	done
done
expect "tessctl net del of the 8 (a missing interface too)" 1 $ok
expect "tessctl net show: none left on tcp" "-" "$(tcp_ifs)"
for i in 0 1 2 4; do
	ip link del tsa$i
done

# every option and two MDS addresses pass parsing: the mount then fails
# on the network (both ports closed), not on the options
SRC=127.0.0.1:1@tcp,127.0.0.1:2@tcp:/fs0
r=$(tmount $SRC $MNT "key=$KEYF,timeout=5,acregmin=1,acregmax=30,acdirmin=2,acdirmax=40,rasize=8388608")
if [ "$r" = ECONNREFUSED ]; then
	pass "all options and two MDS addresses accepted"
else
	fail "all options and two MDS addresses accepted" "got $r"
fi

# --- bad sources and options: EINVAL and a reason in dmesg ---
# name|source|options|dmesg reason (grep -F)
while IFS='|' read -r name src opts why; do
	[ -n "$name" ] || continue
	dmesg_mark
	r=$(tmount "$src" $MNT "$opts")
	if [ "$r" != EINVAL ]; then
		fail "bad mount: $name" "got $r, expected EINVAL"
	elif ! dmesg_since_mark | grep -F "tessera: " | grep -qF "$why"; then
		fail "bad mount: $name" "EINVAL but no 'tessera: ...$why' in dmesg"
	else
		pass "bad mount: $name"
	fi
done <<'TABLE'
timeout not a number|127.0.0.1@tcp:/fs|timeout=abc|Bad value for 'timeout'
timeout zero|127.0.0.1@tcp:/fs|timeout=0|timeout=0: must be from 1 to 3600 seconds
unknown option|127.0.0.1@tcp:/fs|bogus=1|Unknown parameter 'bogus'
relative key path|127.0.0.1@tcp:/fs|key=etc/key|the key file path must be absolute
acregmin over acregmax|127.0.0.1@tcp:/fs|acregmin=100,acregmax=10|acregmin=100 is greater than acregmax=10
acdirmax out of range|127.0.0.1@tcp:/fs|acdirmax=999999|acdirmax=999999: must be from 0 to 86400 seconds
rasize over 1 GiB|127.0.0.1@tcp:/fs|rasize=1073745920|rasize=1073745920: at most 1073741824 bytes
rasize not a number|127.0.0.1@tcp:/fs|rasize=8M|Bad value for 'rasize'
checksums not 0 or 1|127.0.0.1@tcp:/fs|checksums=2|checksums=2: 0 (off) or 1 (on)
checksums not a number|127.0.0.1@tcp:/fs|checksums=on|Bad value for 'checksums'
source without fsname separator|127.0.0.1@tcp|timeout=5|is not HOST[:PORT]@NET:/FSNAME
missing @NET|127.0.0.1:/fs||missing @NET
host name instead of IPv4|mds1@tcp:/fs||host must be a dotted-quad IPv4 address
octet over 255|10.0.0.300@tcp:/fs||IPv4 address part is empty, over 255 or has a leading zero
port zero|10.0.0.5:0@tcp:/fs||port must be a number from 1 to 65535
port too large|10.0.0.5:70000@tcp:/fs||port must be a number from 1 to 65535
empty network type|10.0.0.5@:/fs||network type after '@' must be 1 to 15 characters
empty fsname|10.0.0.5@tcp:/||missing file system name
subdirectory mount|10.0.0.5@tcp:/fs/sub||subdirectory mounts are not supported
empty address in list|10.0.0.5@tcp,,10.0.0.6@tcp:/fs||bad MDS address '': empty address
too many MDS addresses|1.0.0.1@tcp,1.0.0.2@tcp,1.0.0.3@tcp,1.0.0.4@tcp,1.0.0.5@tcp,1.0.0.6@tcp,1.0.0.7@tcp,1.0.0.8@tcp,1.0.0.9@tcp:/fs||more than 8 MDS addresses
TABLE

dmesg_mark
r=$(tmount 10.0.0.5@nonet:/fs $MNT "")
if [ "$r" = EPROTONOSUPPORT ] &&
   dmesg_since_mark | grep -qF "tessera: no transport for network 'nonet'"; then
	pass "unknown network type fails with EPROTONOSUPPORT"
else
	fail "unknown network type fails with EPROTONOSUPPORT" "got $r"
fi

# --- a mount: tessctl peer show lists its MDS and OST connections ---
MDS_METRICS=$TESS_MDS_IP:9464
if tess_cluster_start 2 "--stripe-count 2 --stripe-size 1048576 --nosync --metrics-listen $MDS_METRICS"; then
	pass "cluster: an MDS and 2 OSTs up"
else
	fail "cluster: an MDS and 2 OSTs up" "see the logs below"
fi
if tess_mount $MNT; then
	pass "mount $TESS_MDS_ADDR:/$TESS_FSNAME"
	# 2 MiB over 2 stripes of 1 MiB: both OSTs get a write
	check "write 2 MiB and sync" sh -c "dd if=/dev/urandom of=$MNT/f bs=1M count=2 2>/dev/null && sync"
	# a write(2) asks the file system whether it must drop privileges
	# (file_remove_privs: suid bits, a security.capability xattr); the
	# answer is kept (S_NOSEC) until the attributes change, so 1000
	# small writes are not 1000 GETXATTRs to the MDS
	getxattrs() {
		curl -s --max-time 10 "http://$MDS_METRICS/metrics" |
			sed -n 's/^tessera_requests_total{op="getxattr"} //p'
	}
	g0=$(getxattrs)
	dd if=/dev/zero of=$MNT/w4k bs=4k count=1000 2>/dev/null
	g1=$(getxattrs)
	if [ -n "$g0" ] && [ -n "$g1" ] && [ $((g1 - g0)) -le 10 ]; then
		pass "1000 writes of 4 KiB: $((g1 - g0)) GETXATTRs to the MDS (file_remove_privs answered from S_NOSEC)"
	else
		fail "1000 writes of 4 KiB: at most 10 GETXATTRs to the MDS" "before '$g0', after '$g1'"
	fi
	# ... and a write by another user still drops a setuid bit
	chmod 4777 $MNT/w4k
	setpriv --reuid=1000 --regid=1000 --clear-groups \
		dd if=/dev/zero of=$MNT/w4k bs=4k count=1 conv=notrunc 2>/dev/null
	expect "a write by another user drops the setuid bit (mode)" 777 "$(stat -c %a $MNT/w4k)"
	# readahead: windows grown to whole stripe rows (1 MiB x 2 here)
	# read back right from the start and from an odd offset
	head -c $(((7 << 20) + 12345)) /dev/urandom > /tmp/ra.ref
	cp /tmp/ra.ref $MNT/ra && sync && echo 3 > /proc/sys/vm/drop_caches
	check "readahead: a 7 MiB file read back sequentially" cmp /tmp/ra.ref $MNT/ra
	tail -c +3000002 /tmp/ra.ref > /tmp/ra.tail
	echo 3 > /proc/sys/vm/drop_caches
	check "readahead: read back from offset 3000001" \
		sh -c "tail -c +3000002 $MNT/ra | cmp - /tmp/ra.tail"
	bdi=$(ls -d /sys/class/bdi/tessera-* 2>/dev/null | head -n 1)
	expect "readahead: without rasize= the mount's default window is 4 MiB" \
		4096 "$(cat "$bdi/read_ahead_kb" 2>/dev/null)"
	for p in "mds $TESS_MDS_IP@tcp" "OST0000 $(tess_ost_addr 0)" "OST0001 $(tess_ost_addr 1)"; do
		set -- $p
		name=$1 ip=${2%%[:@]*}
		# fields: id peer name state tx_msgs tx_bytes rx_msgs rx_bytes ...
		l=$(nl_line peer 3 "$name")
		set -- $l
		case ${2:-} in "$ip"@tcp|"$ip":*@tcp) ok=1 ;; *) ok=0 ;; esac
		if [ $ok = 1 ] && [ "${4:-}" = up ] && [ "${5:-0}" -gt 0 ] && [ "${6:-0}" -gt 0 ] &&
		   [ "${7:-0}" -gt 0 ] && [ "${8:-0}" -gt 0 ] 2>/dev/null; then
			pass "tessctl peer show: $name at $2 up, $5 msgs / $6 bytes sent, $7 / $8 received"
		else
			fail "tessctl peer show: $name at $ip up with messages sent and received" \
				"line '$l'; output: $(head -c 600 "$NETOUT")"
		fi
	done
	l=$(nl_line net 1 tcp)
	set -- $l
	if [ "${7:-}" = 3 ]; then
		pass "tessctl net show: 3 peers on tcp"
	else
		fail "tessctl net show: 3 peers on tcp" "tcp line '$l'"
	fi
	nl_json "3 peers, up, with messages sent" \
		"len(d['peers']) == 3 and all(p['state'] == 'up' and p['net'] == 'tcp' and p['tx_msgs'] > 0 for p in d['peers']) and sorted(p['name'] for p in d['peers']) == ['OST0000', 'OST0001', 'mds']" \
		peer show --net tcp --json
	nl_json "3 peers on tcp" "$TCPJ[0]['peers'] == 3" net show --json
	check "umount" tess_timeout 60 umount $MNT
	l=$(nl_line peer 1 x; echo "status $?")
	if [ "$l" = "status 0" ] && [ "$(wc -l < "$NETOUT")" = 1 ]; then
		pass "tessctl peer show: no peer left after umount"
	else
		fail "tessctl peer show: no peer left after umount" \
			"$l; output: $(head -c 600 "$NETOUT")"
	fi
else
	fail "mount $TESS_MDS_ADDR:/$TESS_FSNAME" "status $?"
fi
# rasize= sets the window of every file and the mount's default
if tess_mount $MNT rasize=8388608; then
	grep -q " $MNT tessera .*,rasize=8388608" /proc/mounts
	expect "rasize=8388608: shown in /proc/mounts" 0 $?
	bdi=$(ls -d /sys/class/bdi/tessera-* 2>/dev/null | head -n 1)
	expect "rasize=8388608: the mount's read_ahead_kb" 8192 "$(cat "$bdi/read_ahead_kb" 2>/dev/null)"
	echo 3 > /proc/sys/vm/drop_caches
	check "rasize=8388608: the 7 MiB file reads back" cmp /tmp/ra.ref $MNT/ra
	check "umount (rasize=)" tess_timeout 60 umount $MNT
else
	fail "mount with rasize=8388608" "status $?"
fi

# --- caller credentials (issue #12): the kernel client sends each caller's
# fsuid, fsgid and groups on MDS requests, and the MDS checks them.  Root
# passes the kernel's own checks (CAP_DAC_OVERRIDE), so with root squash
# only the MDS can refuse it: that shows the MDS is the authority.
UA="setpriv --reuid=1000 --regid=1000 --clear-groups"
UB="setpriv --reuid=1001 --regid=1001 --groups=4242"
UC="setpriv --reuid=1002 --regid=1002 --clear-groups"
# as_ok NAME CMD...: CMD succeeds; as_refused NAME CMD...: CMD fails
# with "Permission denied" or "Operation not permitted"
as_ok() {
	local name=$1 out
	shift
	if out=$(timeout -k 5 30 "$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(echo "$out" | tr '\n' ' ' | cut -c1-200)"
	fi
}
as_refused() {
	local name=$1 out
	shift
	if out=$(timeout -k 5 30 "$@" 2>&1); then
		fail "$name" "succeeded: $(echo "$out" | tr '\n' ' ' | cut -c1-200)"
	else
		case $out in
		*"Permission denied"*|*"Operation not permitted"*) pass "$name" ;;
		*) fail "$name" "not EACCES/EPERM: $(echo "$out" | tr '\n' ' ' | cut -c1-200)" ;;
		esac
	fi
}
if tess_mount $MNT; then
	# without root squash
	check "cred: a 0777 directory" sh -c "mkdir -m 0777 $MNT/cred && chmod 0777 $MNT/cred"
	as_ok "cred: user 1000 creates a 0600 file" \
		$UA sh -c "umask 077; echo secret > $MNT/cred/a600"
	expect "cred: user 1000's file is owned by 1000, mode 600" "1000 600" \
		"$(stat -c '%u %a' $MNT/cred/a600)"
	expect "cred: without root squash root reads user 1000's 0600 file" \
		secret "$(cat $MNT/cred/a600 2>&1)"
	check "cred: root makes a 0640 file of group 4242" \
		sh -c "echo group > $MNT/cred/g640 && chown 0:4242 $MNT/cred/g640 && chmod 0640 $MNT/cred/g640"
	check "cred: a sticky 1777 directory with a file of user 1000" \
		sh -c "mkdir -m 1777 $MNT/cred/st && chmod 1777 $MNT/cred/st && $UA touch $MNT/cred/st/f"
	check "cred: root copies a program, mode 0711 (execute only for others)" \
		sh -c "cp /bin/true $MNT/cred/x711 && chmod 0711 $MNT/cred/x711"
	check "umount (cred, no squash)" tess_timeout 60 umount $MNT
else
	fail "mount (cred, no squash)" "status $?"
fi
tess_mds_stop
tess_mds_start --root-squash 65534:65534
if ! tess_wait_osts; then
	fail "cred: MDS with --root-squash 65534:65534 and 2 OSTs up" "see the logs below"
elif tess_mount $MNT; then
	pass "cred: mount, MDS with --root-squash 65534:65534"
	as_refused "cred: root squashed: cannot read user 1000's 0600 file (MDS refuses)" \
		cat $MNT/cred/a600
	as_refused "cred: root squashed: cannot chmod user 1000's file (MDS refuses)" \
		chmod 0644 $MNT/cred/a600
	as_refused "cred: root squashed: cannot chown user 1000's file (MDS refuses)" \
		chown 0 $MNT/cred/a600
	expect "cred: the refused chmod/chown changed nothing" "1000 600" \
		"$(stat -c '%u %a' $MNT/cred/a600)"
	expect "cred: user 1000 still reads its 0600 file" \
		secret "$($UA cat $MNT/cred/a600 2>&1)"
	as_ok "cred: user 1000 appends to its file" \
		$UA sh -c "echo more >> $MNT/cred/a600"
	as_ok "cred: user 1000 chmods its file 0640 and back to 0600" \
		$UA sh -c "chmod 0640 $MNT/cred/a600 && chmod 0600 $MNT/cred/a600"
	expect "cred: user 1000 reads what it appended" "secret more" \
		"$($UA cat $MNT/cred/a600 2>&1 | tr '\n' ' ' | sed 's/ $//')"
	as_ok "cred: user 1000 creates a file under root squash" \
		$UA sh -c "echo new > $MNT/cred/anew"
	expect "cred: that file is owned by 1000:1000, not by the squash ids" \
		"1000:1000" "$(stat -c '%u:%g' $MNT/cred/anew)"
	# open(2) grants the creator the access it asks for whatever the
	# new mode (TESS_OPEN_CREATED): a 0444 file created for writing
	as_ok "cred: user 1000 creates a 0444 file opened for writing" \
		$UA sh -c "umask 0222; echo ro > $MNT/cred/ro444"
	expect "cred: ... with its content, mode 444" "ro 444" \
		"$(cat $MNT/cred/ro444 2>&1) $(stat -c %a $MNT/cred/ro444)"
	as_refused "cred: ... and not opened for writing again" \
		$UA sh -c "echo again >> $MNT/cred/ro444"
	as_ok "cred: user 1000 works on its own files (mkdir, rename, truncate, unlink, rmdir)" \
		$UA sh -c "mkdir $MNT/cred/ad && mv $MNT/cred/anew $MNT/cred/ad/b &&
			truncate -s 1 $MNT/cred/ad/b && rm $MNT/cred/ad/b && rmdir $MNT/cred/ad"
	as_refused "cred: root squashed: cannot remove user 1000's file from a sticky directory (MDS refuses)" \
		rm -f $MNT/cred/st/f
	check "cred: ... and the file is still there" test -f $MNT/cred/st/f
	expect "cred: user 1001 in supplementary group 4242 reads the 0640 group file" \
		group "$($UB cat $MNT/cred/g640 2>&1)"
	as_refused "cred: user 1002 (not in group 4242) cannot read it" \
		$UC cat $MNT/cred/g640
	# exec reads the file in the kernel for the caller: execute permission
	# suffices (the OPEN says exec, the MDS checks x, not r)
	as_ok "cred: user 1000 runs root's 0711 program" $UA $MNT/cred/x711
	as_refused "cred: ... but cannot read it" $UA cat $MNT/cred/x711
	as_refused "cred: root squashed: cannot run a 0700 program of user 1000 (MDS refuses)" \
		sh -c "$UA sh -c 'cp /bin/true $MNT/cred/x700 && chmod 0700 $MNT/cred/x700' && $MNT/cred/x700"
	check "umount (cred, root squash)" tess_timeout 60 umount $MNT
else
	fail "mount (cred, root squash)" "status $?"
fi
tess_cleanup

# --- unload, in dependency order ---
check "rmmod tessera" rmmod tessera
if grep -qw tessera /proc/filesystems; then
	fail "tessera gone from /proc/filesystems" "still listed"
else
	pass "tessera gone from /proc/filesystems"
fi
check "rmmod tessera_lnet_tcp" rmmod tessera_lnet_tcp
check "rmmod tessera_lnet" rmmod tessera_lnet
# the family goes with the module
nl_unloaded net
nl_unloaded peer

# --- tessctl net add loads tessera_lnet and the transport (libkmod) ---
if nl_run 0 net add --net tcp --if lo; then
	pass "tessctl net add --net tcp --if lo with no module loaded"
else
	fail "tessctl net add --net tcp --if lo with no module loaded" \
		"status $r: $(head -c 300 "$NETOUT.err")"
fi
if module_loaded tessera_lnet && module_loaded tessera_lnet_tcp; then
	pass "tessctl net add loaded tessera_lnet and tessera_lnet_tcp"
else
	fail "tessctl net add loaded tessera_lnet and tessera_lnet_tcp" \
		"$(grep tessera /proc/modules)"
fi
expect "tessctl net show: lo on tcp" "lo(127.0.0.1)" "$(tcp_ifs)"
# unloaded with lo still configured: the configuration goes with it
check "rmmod tessera_lnet_tcp (after net add)" rmmod tessera_lnet_tcp
check "rmmod tessera_lnet (an interface configured)" rmmod tessera_lnet

# --- the transport module on its own ---
dmesg_mark
check "insmod tessera_lnet (again)" insmod "$M/tessera_lnet.ko"
expect "tessctl net show: no interface on tcp after a reload" "-" "$(tcp_ifs)"
check "insmod tessera_lnet_tcp" insmod "$M/tessera_lnet_tcp.ko"
if dmesg_since_mark | grep -q "tessera_lnet: transport tcp registered"; then
	pass "tcp transport registers"
else
	fail "tcp transport registers" "no 'transport tcp registered' in dmesg"
fi
check "rmmod tessera_lnet_tcp (again)" rmmod tessera_lnet_tcp
check "rmmod tessera_lnet (again)" rmmod tessera_lnet

# --- the kernel log ---
tess_log_scan
if [ "$TESS_FAILED" != 0 ]; then
	echo "--- dmesg (tail) ---"
	dmesg | tail -n 40
fi
exit $TESS_FAILED
