#!/bin/bash
# scripts/debug-kernel.sh - the debug kernel tier: a KASAN + lockdep
# (PROVE_LOCKING) + DEBUG_ATOMIC_SLEEP + kmemleak + KFENCE + DEBUG_LIST +
# hung-task kernel built from Debian's linux-source-6.1, with only what the
# test VM needs (tests/vm/debug-kernel.config on top of allnoconfig, all
# built in), cached outside the clone so later runs reuse it.
#
#   scripts/debug-kernel.sh build        build the kernel unless cached; print its cache dir
#   scripts/debug-kernel.sh path         print the cache dir if built (exit 1 if not)
#   scripts/debug-kernel.sh env          build if needed; print KDIR= KVER= TESS_VM_KERNEL=
#   scripts/debug-kernel.sh check SUITE  build if needed, build the modules against it and
#                                        run VM suite SUITE on it (tests/vm/suites/debug.sh
#                                        wraps it: kernel reports and kmemleak fail the run)
#   scripts/debug-kernel.sh prune        remove cached kernels other than the current one
#
# Cache: $TESS_DEBUG_KERNEL_CACHE (default /var/cache/tessera/debug-kernel)/KEY/
#   src/      the extracted source            build/    the O= tree: KDIR for modules
#   vmlinuz   the bzImage                     root/lib/modules/KVER  modules_install
#   kver      the release string              stamp     written last: the entry is complete
#   build.log the kernel build's output
# KEY hashes the source tarball, the config fragment, the compiler and
# this script's recipe version; KVER is 6.1.N-tessdbg-KEY[0:8].  The
# guest sees the host root, so /lib/modules/KVER is made a symlink to
# root/lib/modules/KVER (modprobe and depmod inside the VM use it).
#
# Environment: TESS_DEBUG_KERNEL_CACHE, TESS_DEBUG_KERNEL_SOURCE (default
# /usr/src/linux-source-6.1.tar.xz), TESS_DEBUG_KERNEL_JOBS (default
# nproc), TESS_VM_TIMEOUT (for check; default 3600), TESS_VM_MEM.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${TESS_DEBUG_KERNEL_CACHE:-/var/cache/tessera/debug-kernel}
TARBALL=${TESS_DEBUG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
FRAGMENT=$REPO/tests/vm/debug-kernel.config
JOBS=${TESS_DEBUG_KERNEL_JOBS:-$(nproc)}
# bump when the build steps below change what ends up in the cache
RECIPE=1

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

cache_key() {
	[ -r "$TARBALL" ] || die "$TARBALL missing (apt-get install linux-source-6.1)"
	[ -r "$FRAGMENT" ] || die "$FRAGMENT missing"
	{
		echo "recipe $RECIPE"
		sha256sum < "$TARBALL"
		cat "$FRAGMENT"
		gcc --version | head -n 1
	} | sha256sum | cut -c1-16
}

KEY=$(cache_key)
D=$CACHE/$KEY

complete() {
	[ -f "$D/stamp" ] && [ -s "$D/vmlinuz" ] && [ -s "$D/kver" ] &&
		[ -f "$D/build/Module.symvers" ]
}

# /lib/modules/KVER -> the cache (the VM's modprobe reads modules.builtin)
link_modules() {
	local kver
	kver=$(cat "$D/kver")
	if [ "$(readlink "/lib/modules/$kver" 2>/dev/null)" != "$D/root/lib/modules/$kver" ]; then
		[ ! -e "/lib/modules/$kver" ] || [ -L "/lib/modules/$kver" ] ||
			die "/lib/modules/$kver exists and is not our symlink"
		ln -sfn "$D/root/lib/modules/$kver" "/lib/modules/$kver"
	fi
}

build() {
	local start t0 t1 t2 t3 line kver
	mkdir -p "$CACHE"
	exec 9>"$CACHE/lock"
	flock 9
	if complete; then
		link_modules
		return 0
	fi
	command -v flex >/dev/null && command -v bison >/dev/null && command -v bc >/dev/null ||
		die "flex, bison and bc are needed (scripts/install-deps.sh)"
	mkdir -p "$D"
	start=$(date +%s)
	echo "debug-kernel: building $KEY in $D (log $D/build.log)" >&2

	# the source, extracted once (8 s)
	if [ ! -f "$D/src/.tess-extracted" ]; then
		rm -rf "$D/src"
		mkdir -p "$D/src"
		nice -n 19 tar -xJf "$TARBALL" -C "$D/src" --strip-components=1
		touch "$D/src/.tess-extracted"
	fi
	t0=$(date +%s)

	# allnoconfig + the fragment; every value asked for must be there
	if [ ! -f "$D/build/.tess-configured" ]; then
		mkdir -p "$D/build"
		{
			cat "$FRAGMENT"
			echo "CONFIG_LOCALVERSION=\"-tessdbg-${KEY:0:8}\""
			echo "# CONFIG_LOCALVERSION_AUTO is not set"
		} > "$D/fragment.config"
		: > "$D/empty.config"
		(cd "$D/src" && scripts/kconfig/merge_config.sh -n -O "$D/build" \
			"$D/empty.config" "$D/fragment.config") > "$D/build.log" 2>&1 ||
			{ tail -n 20 "$D/build.log" >&2; die "configuration failed"; }
		while read -r line; do
			grep -qxF "$line" "$D/build/.config" ||
				die "$line did not survive allnoconfig (dependencies missing?): $(grep -E "^(# )?${line%%=*}[= ]" "$D/build/.config" || echo absent)"
		done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$D/fragment.config")
		touch "$D/build/.tess-configured"
	fi
	t1=$(date +%s)

	# vmlinux, bzImage, modules (none, but Module.symvers and modpost for ours)
	nice -n 19 make -C "$D/src" O="$D/build" -j"$JOBS" >> "$D/build.log" 2>&1 ||
		{ tail -n 30 "$D/build.log" >&2; die "kernel build failed"; }
	t2=$(date +%s)
	rm -rf "$D/root"
	nice -n 19 make -C "$D/src" O="$D/build" INSTALL_MOD_PATH="$D/root" \
		modules_install >> "$D/build.log" 2>&1 ||
		{ tail -n 30 "$D/build.log" >&2; die "modules_install failed"; }
	kver=$(cat "$D/build/include/config/kernel.release")
	cp "$D/build/arch/x86/boot/bzImage" "$D/vmlinuz"
	echo "$kver" > "$D/kver"
	t3=$(date +%s)
	{
		echo "key=$KEY"
		echo "kver=$kver"
		echo "built=$(date -u +%FT%TZ) jobs=$JOBS"
		echo "seconds: extract=$((t0 - start)) config=$((t1 - t0)) make=$((t2 - t1)) install=$((t3 - t2)) total=$((t3 - start))"
	} > "$D/stamp"
	link_modules
	echo "debug-kernel: built $kver in $((t3 - start)) s ($(tail -n 1 "$D/stamp"))" >&2
}

cmd=${1:-build}
case $cmd in
build)
	build
	echo "$D"
	;;
path)
	complete || die "not built: run $0 build"
	echo "$D"
	;;
env)
	build
	echo "KDIR=$D/build"
	echo "KVER=$(cat "$D/kver")"
	echo "TESS_VM_KERNEL=$D/vmlinuz"
	;;
check)
	suite=${2:-smoke}
	[ -f "$REPO/tests/vm/suites/$suite.sh" ] || die "no suite tests/vm/suites/$suite.sh"
	build
	# the cache lock build() took is not held over the run: checks may
	# go side by side
	exec 9>&-
	kver=$(cat "$D/kver")
	mkdir -p "$REPO/build/kmod"
	# the modules against it, one build at a time (checks may run side
	# by side: tests/check.sh); a clean make: a SUITE= or KDIR= of an
	# outer make must not leak in
	(
		flock 8
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
			make -C "$REPO" --no-print-directory modules KDIR="$D/build" KVER="$kver"
	) 8>"$REPO/build/kmod/.lock-$kver" || die "modules for $kver did not build"
	# tests/vm/suites/debug.sh (in the VM) runs $suite; the run's files
	# are build/vm/debug-$suite.*
	TESS_VM_KERNEL="$D/vmlinuz" TESS_VM_TIMEOUT="${TESS_VM_TIMEOUT:-3600}" \
		TESS_VM_INNER="$suite" KVER="$kver" \
		TESS_MODDIR="$REPO/build/kmod/$kver/modules" \
		exec bash "$REPO/tests/vm/run" debug
	;;
prune)
	mkdir -p "$CACHE"
	exec 9>"$CACHE/lock"
	flock 9
	for d in "$CACHE"/*/; do
		d=${d%/}
		[ "$d" != "$D" ] || continue
		if [ -s "$d/kver" ] && [ -L "/lib/modules/$(cat "$d/kver")" ]; then
			rm -f "/lib/modules/$(cat "$d/kver")"
		fi
		echo "debug-kernel: removing $d" >&2
		rm -rf "$d"
	done
	;;
*)
	die "usage: $0 build|path|env|check SUITE|prune"
	;;
esac
