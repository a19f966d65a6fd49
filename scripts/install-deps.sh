#!/bin/bash
# Install everything Tessera needs to build and test on Debian 12, once.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: must run as root (apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# a fresh machine's first boot may be running apt already (or a second
# install-deps): wait for dpkg's lock instead of failing at once
apt_get() {
	apt-get -o DPkg::Lock::Timeout=900 "$@"
}

# Debian's newest 6.1 ABI: what linux-headers-amd64 points at.
abi() {
	apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\(6\.1\.0-[0-9]*\)-amd64.*/\1/p' | head -n1
}

pkgs=(build-essential pkg-config git
      liblmdb-dev lmdb-utils libssl-dev libcurl4-openssl-dev libxml2-dev libjson-c-dev
      libnl-3-dev libnl-genl-3-dev libkmod-dev librdmacm-dev libibverbs-dev
      ibverbs-providers rdmacm-utils ibverbs-utils perftest
      kmod initramfs-tools linux-source-6.1 qemu-system-x86 busybox-static
      dkms clang libclang-rt-14-dev flex bison bc libelf-dev cpio
      iproute2 xz-utils python3 sparse perl tcpdump
      fio iperf3 nfs-kernel-server attr psmisc dmsetup e2fsprogs util-linux
      s3cmd curl bc s3fs rclone fuse3
      scdoc mandoc man-db groff-base
      debhelper dh-dkms dpkg-dev fakeroot lintian libsystemd-dev systemd)

# If some 6.1 headers are installed already, keep using them.
installed=$(ls -d /usr/src/linux-headers-6.1.0-*-amd64 2>/dev/null | sort -V | tail -n1 || true)
if [ -n "$installed" ]; then
	ver=${installed#/usr/src/linux-headers-}
	ver=${ver%-amd64}
else
	ver=$(abi)
	if [ -z "$ver" ]; then
		apt_get update -q
		ver=$(abi)
	fi
fi
pkgs+=("linux-headers-$ver-amd64" "linux-image-$ver-amd64")

# Debian 12's 6.12 kernel (in bookworm main as linux-headers-6.12.N+deb12-
# amd64; N moves): the dkms tier builds the modules against it too (issue
# #14).  If some are installed, keep them; otherwise the newest one apt
# knows, neither cloud nor rt.  Its headers depend on the matching
# linux-image, which becomes the newest kernel on the machine.  None in
# apt is a warning, not a failure (tests/dkms/run then says FAIL).
newest_612() {
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' 2>/dev/null |
		cut -d' ' -f1 | sort -V | tail -n1 || true
}
h612=$(ls -d /usr/src/linux-headers-6.12.*+deb12-amd64 2>/dev/null | sort -V | tail -n1 || true)
if [ -n "$h612" ]; then
	h612=${h612#/usr/src/}
else
	h612=$(newest_612)
	if [ -z "$h612" ]; then
		apt_get update -q
		h612=$(newest_612)
	fi
fi
if [ -n "$h612" ]; then
	pkgs+=("$h612")
else
	echo "install-deps: WARNING: no linux-headers-6.12.*+deb12-amd64 in apt" \
		"(bookworm main, apt-get update?): the modules are not built for" \
		"Debian's 6.12 and the dkms tier will fail" >&2
fi

# the local S3 server of the HSM test (s3rver, pinned in package-lock.json)
# (node may come from elsewhere than Debian: only Debian's if there is none)
s3rver_deps() {
	local s3dir
	s3dir="$(cd "$(dirname "$0")/.." && pwd)/tests/s3"
	[ -d "$s3dir/node_modules/s3rver" ] && return 0
	command -v npm >/dev/null ||
		apt_get install -y -q --no-install-recommends nodejs npm
	npm ci --prefix "$s3dir" --no-audit --no-fund
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	s3rver_deps
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
apt_get update -q
if ! apt_get install -y -q --no-install-recommends "${missing[@]}"; then
	apt_get -f install -y -q
	apt_get install -y -q --no-install-recommends "${missing[@]}"
fi
s3rver_deps
