# Sec suite (issue 12): the kernel client's mount option
# sec=auth|integrity|privacy against daemons started with --sec.  For
# each flavor an MDS and 2 OSTs with that --sec, a mount with that sec=,
# 8 MiB of a known pattern written striped over both OSTs, caches
# dropped, read back: the same md5.  tcpdump on every interface meanwhile:
# under privacy neither the pattern nor the file's name is on the wire;
# under auth and integrity both are (the control: the capture does see
# them when they are there).  A sec=auth mount of an integrity cluster
# fails with EACCES and says so in the kernel log, a sec=privacy one
# works (stronger than asked); sec=bogus is EINVAL with a reason; the
# flavor shows in /proc/mounts.  Under integrity and privacy, a proxy
# (tests/vm/sec-proxy.py) that alters the tag of a reply makes the client
# log 'frame authentication failed' and send the request again, and the
# mount works.  Ends with the kernel-log scan.
#
# Runs inside the VM (tests/vm/run sec) with TESS_REPO, TESS_MODDIR and
# TESS_KVER set.

. "$TESS_REPO/tests/vm/lib.sh"

TESSCTL=$TESS_CTL_PROG
W=/tmp/sec
MNT=/mnt/tessera
MNT2=/mnt/tessera2
TESS_W=$W
TESS_FSNAME=fs
PATTERN=tessera-sec-pattern-7f3a9c
NAME=secret-name-5be21d
mkdir -p $W $MNT $MNT2
TESS_T0=$(date +%s)

tmount() {
	tess_timeout 60 "$TESS_REPO/build/vm/tess-mount" "$@"
	case $? in 124|137) echo "TIMEOUT after 60 s" ;; esac
}

# 8 MiB of lines holding the pattern
yes "$PATTERN-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" |
	head -c 8388608 > $W/src
SRC_MD5=$(md5sum < $W/src | cut -d' ' -f1)

# on_wire PCAP WORD: in how many "lines" of the capture WORD is
on_wire() {
	grep -a -c -F "$2" "$1" 2>/dev/null
}

# df_up: the OSTs the mount at $MNT sees UP
df_up() {
	[ "$(timeout -k 2 10 "$TESSCTL" df $MNT 2>/dev/null | grep -c ' UP$')" = 2 ]
}

# mount_retry OPTS: the cluster may still be starting
mount_retry() {
	local n=0
	while [ $n -lt 30 ]; do
		tess_mount $MNT "$1" 2>$W/mount.err && return 0
		sleep 1
		n=$((n + 1))
	done
	cat $W/mount.err
	return 1
}

# cluster FLAVOR: a fresh MDS and 2 OSTs with --sec FLAVOR (auth: none)
cluster() {
	local args=
	[ "$1" = auth ] || args="--sec $1"
	tess_cluster_kill
	rm -rf $W/mds $W/ost0 $W/ost1
	TESS_NOST=2
	TESS_MDS_ARGS=$args
	TESS_OST_ARGS=$args
	TESS_MDS_ADDR=$TESS_MDS_IP@$TESS_NET
	TESS_KEY=$W/key
	export TESS_MDS_ADDR TESS_KEY
	if [ ! -s "$TESS_KEY" ]; then
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TESS_KEY"
		chmod 600 "$TESS_KEY"
	fi
	cluster_net 2
	tess_mds_start
	tess_ost_start 0
	tess_ost_start 1
}

# flavor_case FLAVOR: mount, write, read back, and what is on the wire
flavor_case() {
	local f=$1 opts= n m pid
	[ "$f" = auth ] || opts="sec=$f"
	cluster "$f"
	if mount_retry "$opts"; then
		pass "$f: mount with sec=$f against --sec $f"
	else
		fail "$f: mount with sec=$f against --sec $f" "$(tail -n 3 $W/mds.log)"
		return
	fi
	tess_wait_until 60 df_up && pass "$f: both OSTs UP" ||
		fail "$f: both OSTs UP" "$(timeout 10 "$TESSCTL" df $MNT 2>&1 | tr '\n' ' ')"
	m=$(awk -v m=$MNT '$2 == m { print $4 }' /proc/mounts)
	case "$f,$m" in
	auth,*sec=*) fail "$f: /proc/mounts shows no sec=" "$m" ;;
	auth,*) pass "$f: /proc/mounts shows no sec=" ;;
	*,*sec=$f*) pass "$f: /proc/mounts shows sec=$f" ;;
	*) fail "$f: /proc/mounts shows sec=$f" "$m" ;;
	esac
	check "$f: mkdir" mkdir $MNT/d
	check "$f: setstripe -c 2 -S 1M" "$TESSCTL" setstripe -c 2 -S 1M $MNT/d

	rm -f $W/$f.pcap
	tcpdump -i any -s 0 -B 16384 -U -w $W/$f.pcap tcp >$W/tcpdump.log 2>&1 &
	pid=$!
	sleep 1
	check "$f: write 8 MiB of the pattern + fsync" \
		dd if=$W/src of=$MNT/d/$NAME bs=1M conv=fsync status=none
	sync
	echo 3 > /proc/sys/vm/drop_caches
	expect "$f: read back after drop_caches: same md5" "$SRC_MD5" \
		"$(md5sum < $MNT/d/$NAME | cut -d' ' -f1)"
	ls -l $MNT/d > /dev/null
	sleep 1
	kill -INT $pid 2>/dev/null
	tess_wait_pid 10 $pid > /dev/null
	n=$(on_wire $W/$f.pcap $PATTERN)
	m=$(on_wire $W/$f.pcap $NAME)
	if [ "$f" = privacy ]; then
		expect "$f: the pattern is not on the wire" 0 "$n"
		expect "$f: the file name is not on the wire" 0 "$m"
	else
		# 8 MiB out and back: thousands of lines
		[ "$n" -ge 1000 ] && pass "$f: the pattern is on the wire ($n times; the capture works)" ||
			fail "$f: the pattern is on the wire (the capture works)" "$n times; $(tail -n 2 $W/tcpdump.log)"
		[ "$m" -ge 1 ] && pass "$f: the file name is on the wire ($m times)" ||
			fail "$f: the file name is on the wire" "$m times"
	fi
	sz=$(stat -c %s $W/$f.pcap 2>/dev/null || echo 0)
	[ "$sz" -ge 16000000 ] && pass "$f: the capture holds the 16 MiB moved ($sz bytes)" ||
		fail "$f: the capture holds the 16 MiB moved" "$sz bytes; $(tail -n 2 $W/tcpdump.log)"
	check "$f: umount" timeout -k 5 60 umount $MNT
}

check "modules load" tess_modules_load
command -v tcpdump > /dev/null && pass "tcpdump is there" ||
	fail "tcpdump is there" "not found (scripts/install-deps.sh)"

# --- mount option validation ---
dmesg_mark
r=$(tmount $TESS_MDS_IP@tcp:/fs $MNT "key=/nonexistent,sec=bogus")
expect "sec=bogus: EINVAL" EINVAL "$r"
dmesg_since_mark | grep -q 'sec=bogus: unknown security flavor, expected auth, integrity or privacy' &&
	pass "sec=bogus: the reason in the kernel log" ||
	fail "sec=bogus: the reason in the kernel log" "$(dmesg_since_mark | tail -n 3 | tr '\n' ' ')"
r=$(tmount $TESS_MDS_IP@tcp:/fs $MNT "key=/nonexistent,sec=")
expect "sec= (empty): EINVAL" EINVAL "$r"
r=$(tmount $TESS_MDS_IP@tcp:/fs $MNT "key=/nonexistent,sec=Privacy")
expect "sec=Privacy (case matters): EINVAL" EINVAL "$r"

# --- each flavor: data intact, and what an eavesdropper sees ---
flavor_case auth
flavor_case integrity
flavor_case privacy
# tessera_lnet asks the crypto API; it loads what is a module
grep -q 'gcm(aes)' /proc/crypto &&
	pass "privacy: gcm(aes) loaded by the crypto API ($(grep -o '^gcm\|^ghash_generic\|^aesni_intel' /proc/modules | tr '\n' ' '))" ||
	fail "privacy: gcm(aes) loaded by the crypto API" "not in /proc/crypto"

# tamper_case FLAVOR: a mount whose MDS connection goes through
# tests/vm/sec-proxy.py, which flips a bit of the tag of the first
# protected reply (header, body and CRCs as sent): the client finds it,
# resets the connection and sends the request again on a new one
tamper_case() {
	local f=$1 pid
	python3 "$TESS_REPO/tests/vm/sec-proxy.py" 7440 $TESS_MDS_IP 7430 \
		> $W/proxy.log 2>&1 &
	pid=$!
	tess_wait_until 20 grep -q listening $W/proxy.log ||
		fail "$f: sec-proxy.py listens" "$(cat $W/proxy.log)"
	dmesg_mark
	if timeout -k 5 90 mount -t tessera "$TESS_MDS_IP:7440@tcp:/$TESS_FSNAME" \
		$MNT2 -o "key=$TESS_KEY,sec=$f" 2>$W/mount.err; then
		pass "$f: a mount through a proxy that alters a tag: mounted (the request went again)"
		expect "$f: through the proxy: the file is there" 8388608 \
			"$(stat -c %s $MNT2/d/$NAME 2>&1)"
		timeout -k 5 60 umount $MNT2
	else
		fail "$f: a mount through a proxy that alters a tag: mounted" \
			"$(cat $W/mount.err)"
	fi
	grep -q flipped $W/proxy.log && pass "$f: the proxy altered a tag" ||
		fail "$f: the proxy altered a tag" "$(cat $W/proxy.log)"
	dmesg_since_mark | grep -q 'closing the connection: frame authentication failed' &&
		pass "$f: 'frame authentication failed' in the kernel log" ||
		fail "$f: 'frame authentication failed' in the kernel log" \
			"$(dmesg_since_mark | tail -n 4 | tr '\n' ' ')"
	kill $pid 2>/dev/null
	tess_wait_pid 10 $pid > /dev/null
}

tamper_case privacy

# --- a flavor the server does not take ---
cluster integrity
if mount_retry "sec=integrity"; then
	pass "integrity cluster: up"
	timeout -k 5 60 umount $MNT
else
	fail "integrity cluster: up" "$(tail -n 3 $W/mds.log)"
fi
dmesg_mark
r=$(tmount $TESS_MDS_ADDR:/$TESS_FSNAME $MNT2 "key=$TESS_KEY,timeout=10")
expect "sec=auth (the default) against --sec integrity: EACCES" EACCES "$r"
dmesg_since_mark | grep -q 'authentication failed: the server does not share our key, or does not take sec=auth' &&
	pass "sec=auth against --sec integrity: '... or does not take sec=auth' in the kernel log" ||
	fail "sec=auth against --sec integrity: '... or does not take sec=auth' in the kernel log" \
		"$(dmesg_since_mark | tail -n 3 | tr '\n' ' ')"
r=$(tmount $TESS_MDS_ADDR:/$TESS_FSNAME $MNT2 "key=$TESS_KEY,timeout=10,sec=auth")
expect "sec=auth given against --sec integrity: EACCES" EACCES "$r"
r=$(tmount $TESS_MDS_ADDR:/$TESS_FSNAME $MNT2 "key=$TESS_KEY,timeout=10,sec=privacy")
expect "sec=privacy against --sec integrity: mounts (stronger)" OK "$r"
check "integrity: mkdir, setstripe, write 8 MiB" sh -c \
	"mount -t tessera $TESS_MDS_ADDR:/$TESS_FSNAME $MNT -o key=$TESS_KEY,sec=integrity &&
	 mkdir $MNT/d && $TESSCTL setstripe -c 2 -S 1M $MNT/d &&
	 dd if=$W/src of=$MNT/d/$NAME bs=1M conv=fsync status=none && umount $MNT"
tamper_case integrity

tess_finish
