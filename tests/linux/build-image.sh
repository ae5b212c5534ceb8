#!/usr/bin/env bash
# build-image.sh - strand's Linux guest image, built from Debian's archive only:
#   vmlinuz         the kernel of linux-image-cloud-amd64 (bzImage, x86 boot protocol)
#   vmlinux         the same kernel uncompressed (ELF with the PVH entry note), for PVH entry
#   initramfs.img   busybox-static, the virtio modules, /init (see below)
#   programs.img    the programs in PROGRAMS (fio, e2fsprogs) with their libraries: a second
#                   archive, added with `strand run --linux --initrd OUTDIR/programs.img`
#   config          the kernel's .config;  kernel-release;  manifest.txt (versions, contents)
#
# Usage: tests/linux/build-image.sh [OUTDIR]            (default: build/linux)
# Environment:
#   STRAND_KERNEL_PKG        kernel package (default: what linux-image-cloud-amd64 depends on)
#   STRAND_IMAGE_COMPRESS    initramfs compression: gzip (default), zstd or none
#   STRAND_IMAGE_PROGRAMS    more programs, entries as in PROGRAMS separated by ';'
#   STRAND_IMAGE_NO_PROGRAMS=1  only those, not PROGRAMS (no programs.img when none is left)
#
# Runs as root on Debian 12 with only Debian's archive reachable (apt-get download, dpkg-deb -x:
# nothing is installed, the host's /boot is never touched). Idempotent: packages are cached in
# OUTDIR/cache and unpacked once; every output is replaced atomically. See docs/linux.md.
#
# /init in the guest mounts proc, sys, devtmpfs, loads the modules in modules.dep order, starts
# busybox acpid for the ACPI power button (a press powers the guest off: QMP system_powerdown,
# virsh shutdown), prints "STRAND-READY uptime=<s>", then runs the command from the kernel
# command line (strand.cmd=WORD, strand.cmd="A B", "strand.cmd=A B" or strand.cmd64=<base64>)
# and prints "STRAND-EXIT <status>", or, without a command, opens a shell on the console. Then
# poweroff -f.
set -euo pipefail

# Programs copied into the image, one entry each: "<debian package> <path> [<path>...]".
# An ELF path is copied with the shared libraries ldd finds (from the host, or from the
# package's library dependencies, downloaded and unpacked); any other path (data file,
# directory) is copied as it is. They go into programs.img, not initramfs.img: fio's library
# closure (Ceph, RDMA, GlusterFS clients) is ~85 MB, which the minimal image should not carry
# where every byte the guest kernel unpacks is emulated (PVM hosts, docs/linux.md).
PROGRAMS=(
	"fio /usr/bin/fio"
	"e2fsprogs /sbin/mke2fs /sbin/mkfs.ext4 /sbin/e2fsck"
)
if [ "${STRAND_IMAGE_NO_PROGRAMS:-0}" = 1 ]; then
	PROGRAMS=()
fi

# Drivers that are modules in Debian's cloud kernel, loaded by /init with their dependencies
# first. Names as modinfo spells them ('-' and '_' are the same); absent ones are skipped.
# The virtio drivers; then the ACPI power button: strand's DSDT has \_SB.PWRB (PNP0C0C), which
# Linux's `button` driver (CONFIG_ACPI_BUTTON=m) binds and turns a press (Notify 0x80 from the
# GED's _EVT, docs/devices.md) into KEY_POWER on an input device; `evdev` (CONFIG_INPUT_EVDEV=m)
# gives that device its /dev/input/eventN, which busybox acpid reads (see /init).
MODULES=(virtio_ring virtio virtio_mmio virtio_blk virtio_console virtio_rng virtio_net
	button evdev)

META_PKG=linux-image-cloud-amd64
BUSYBOX_PKG=busybox-static

die() {
	echo "build-image: $*" >&2
	exit 1
}
log() { echo "build-image: $*" >&2; }

cd "$(dirname "$0")/../.."
OUT=${1:-build/linux}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CACHE=$OUT/cache
WORK=$OUT/work
mkdir -p "$CACHE" "$WORK"
COMPRESS=${STRAND_IMAGE_COMPRESS:-gzip}
case $COMPRESS in gzip | zstd | none) ;; *) die "STRAND_IMAGE_COMPRESS=$COMPRESS: use gzip, zstd or none" ;; esac
for tool in apt-get apt-cache dpkg-deb readelf ldd; do
	command -v "$tool" >/dev/null || die "$tool not found (Debian 12 host expected)"
done

# ---- packages: download once into the cache, unpack once into WORK ----

updated=0
RUNCACHE=$WORK/.run # per run: apt-cache is slow, and answers are needed in subshells too
rm -rf "$RUNCACHE"
mkdir -p "$RUNCACHE"
candidate() { # package -> candidate version, or nothing
	local f=$RUNCACHE/candidate.$1
	if [ ! -f "$f" ]; then
		apt-cache policy "$1" 2>/dev/null |
			awk '/Candidate:/ { if ($2 != "(none)") print $2 }' >"$f.tmp"
		mv "$f.tmp" "$f"
	fi
	cat "$f"
}
need_candidate() {
	local v
	v=$(candidate "$1")
	if [ -z "$v" ] && [ $updated = 0 ]; then
		log "no candidate for $1: apt-get update"
		apt-get update -q >/dev/null || die "apt-get update failed"
		updated=1
		rm -f "$RUNCACHE"/candidate.*
		v=$(candidate "$1")
	fi
	[ -n "$v" ] || die "package $1 is not in the configured archive"
	echo "$v"
}

fetch() { # package -> path of its .deb in the cache
	local pkg=$1 ver f
	ver=$(need_candidate "$pkg")
	for f in "$CACHE/${pkg}_${ver//:/%3a}_"*.deb; do
		if [ -f "$f" ]; then
			echo "$f"
			return
		fi
	done
	log "downloading $pkg $ver"
	# apt-get download warns when its sandbox user cannot write the cache: harmless.
	(cd "$CACHE" && apt-get download -q "$pkg=$ver" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
		true
	for f in "$CACHE/${pkg}_${ver//:/%3a}_"*.deb; do
		if [ -f "$f" ]; then
			echo "$f"
			return
		fi
	done
	die "apt-get download $pkg=$ver failed"
}

unpack() { # deb, directory: unpack unless already done for this very .deb
	local deb=$1 dir=$2
	if [ -f "$dir/.unpacked" ] && [ "$(cat "$dir/.unpacked")" = "$(basename "$deb")" ]; then
		return
	fi
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	dpkg-deb -x "$deb" "$dir.tmp" || die "dpkg-deb -x $deb failed"
	basename "$deb" >"$dir.tmp/.unpacked"
	mv "$dir.tmp" "$dir"
}

if [ -n "${STRAND_KERNEL_PKG:-}" ]; then
	KPKG=$STRAND_KERNEL_PKG
else
	need_candidate "$META_PKG" >/dev/null
	KPKG=$(apt-cache depends "$META_PKG" |
		awk '!found && $1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; found = 1 }')
	[ -n "$KPKG" ] || die "cannot tell which kernel $META_PKG depends on"
fi
KDEB=$(fetch "$KPKG")
BBDEB=$(fetch "$BUSYBOX_PKG")
unpack "$KDEB" "$WORK/kernel"
unpack "$BBDEB" "$WORK/busybox"
BB=$WORK/busybox/bin/busybox
[ -x "$BB" ] || die "$BUSYBOX_PKG has no bin/busybox"

KROOT=$WORK/kernel
KVER=$(cd "$KROOT/lib/modules" && ls | head -n1)
[ -n "$KVER" ] && [ -f "$KROOT/boot/vmlinuz-$KVER" ] || die "$KPKG: no /boot/vmlinuz or modules"
log "kernel $KPKG ($KVER)"

publish() { # tmp file, final path: replaced atomically, and only if it changed (mtimes stay)
	if cmp -s "$1" "$2"; then
		rm -f "$1"
	else
		chmod 0644 "$1"
		mv -f "$1" "$2"
	fi
}

cp "$KROOT/boot/vmlinuz-$KVER" "$OUT/vmlinuz.tmp"
publish "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
cp "$KROOT/boot/config-$KVER" "$OUT/config.tmp"
publish "$OUT/config.tmp" "$OUT/config"
echo "$KVER" >"$OUT/kernel-release.tmp"
publish "$OUT/kernel-release.tmp" "$OUT/kernel-release"

# ---- vmlinux: the extract-vmlinux method. Find each compressed-stream magic in the bzImage,
# decompress from there with the matching tool and keep the first output that is an ELF. ----

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
has_pvh_note() { # XEN_ELFNOTE_PHYS32_ENTRY = 18
	local notes
	notes=$(readelf -nW "$1" 2>/dev/null) || return 1
	grep -Eq '^[[:space:]]*Xen[[:space:]].*(\(0x00000012\)|PHYS32_ENTRY)' <<<"$notes"
}

try_decompress() { # image, grep -P magic, tool...
	local img=$1 magic=$2 off
	shift 2
	command -v "$1" >/dev/null || return 1
	for off in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1 | head -n 64); do
		# Trailing bytes after the stream make some tools complain: judge the output.
		tail -c +$((off + 1)) "$img" | "$@" >"$OUT/vmlinux.tmp" 2>/dev/null || true
		if is_elf "$OUT/vmlinux.tmp"; then
			log "vmlinux: $1 stream at offset $off"
			return 0
		fi
	done
	return 1
}

extract_vmlinux() {
	local img=$1
	try_decompress "$img" '\x1f\x8b\x08' gunzip -c ||
		try_decompress "$img" '\xfd\x37\x7a\x58\x5a\x00' unxz -c ||
		try_decompress "$img" 'BZh' bunzip2 -c ||
		try_decompress "$img" '\x5d\x00\x00\x00' unlzma -c ||
		try_decompress "$img" '\x89\x4c\x5a\x4f' lzop -dc ||
		try_decompress "$img" '\x02\x21\x4c\x18' lz4 -dc ||
		try_decompress "$img" '\x28\xb5\x2f\xfd' unzstd -c
}

if [ ! -f "$OUT/vmlinux" ] || ! cmp -s "$OUT/vmlinuz" "$WORK/vmlinux.from"; then
	extract_vmlinux "$OUT/vmlinuz" || die "no known compressed kernel in $OUT/vmlinuz"
	has_pvh_note "$OUT/vmlinux.tmp" || die "vmlinux has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)"
	publish "$OUT/vmlinux.tmp" "$OUT/vmlinux"
	cp "$OUT/vmlinuz" "$WORK/vmlinux.from"
fi
is_elf "$OUT/vmlinux" && has_pvh_note "$OUT/vmlinux" || die "$OUT/vmlinux: not an ELF with a PVH note"

# ---- the initramfs tree ----

ROOT=$WORK/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc/strand,proc,sys,dev,tmp,run,root,mnt,lib/modules}
chmod 1777 "$ROOT/tmp"
cp "$BB" "$ROOT/bin/busybox"
for applet in $("$BB" --list-full); do
	[ -e "$ROOT/$applet" ] || ln -s /bin/busybox "$ROOT/$applet"
done

# Modules: modules.dep (generated with busybox depmod: Debian's package ships none), then each
# wanted module after its dependencies, recursively (topological: the list order of a
# modules.dep line is not relied upon).
MODDIR=$KROOT/lib/modules/$KVER
if [ ! -s "$MODDIR/modules.dep" ] || [ "$MODDIR/modules.dep" -ot "$MODDIR/modules.order" ]; then
	"$BB" depmod -b "$KROOT" "$KVER" || die "depmod failed"
fi
declare -A MODPATH=() MODDEPS=() MODDONE=()
while IFS= read -r line; do
	path=${line%%:*}
	name=${path##*/}
	name=${name%%.ko*}
	name=${name//-/_}
	MODPATH[$name]=$path
	MODDEPS[$name]=${line#*:}
done <"$MODDIR/modules.dep"
ORDER=()
add_module() { # name
	local name=${1//-/_} dep dname
	[ -z "${MODDONE[$name]:-}" ] || return 0
	MODDONE[$name]=1
	for dep in ${MODDEPS[$name]}; do
		dname=${dep##*/}
		dname=${dname%%.ko*}
		add_module "$dname"
	done
	ORDER+=("$name")
}
for m in "${MODULES[@]}"; do
	m=${m//-/_}
	if [ -n "${MODPATH[$m]:-}" ]; then
		add_module "$m"
	elif grep -Eq "/${m//_/[-_]}\.ko" "$MODDIR/modules.builtin" 2>/dev/null; then
		log "module $m is built into the kernel"
	else
		log "module $m: not in this kernel, skipped"
	fi
done
: >"$ROOT/etc/strand/modules"
for m in "${ORDER[@]}"; do
	src=$MODDIR/${MODPATH[$m]}
	rel=${MODPATH[$m]}
	mkdir -p "$ROOT/lib/modules/$KVER/$(dirname "$rel")"
	case $src in # busybox insmod wants a plain .ko
	*.ko.xz) xz -dc "$src" >"$ROOT/lib/modules/$KVER/${rel%.xz}" ;;
	*.ko.zst) zstd -qdc "$src" >"$ROOT/lib/modules/$KVER/${rel%.zst}" ;;
	*.ko.gz) gzip -dc "$src" >"$ROOT/lib/modules/$KVER/${rel%.gz}" ;;
	*) cp "$src" "$ROOT/lib/modules/$KVER/$rel" ;;
	esac
	rel=${rel%.xz}
	rel=${rel%.zst}
	rel=${rel%.gz}
	echo "$KVER/$rel" >>"$ROOT/etc/strand/modules"
done
log "modules: ${ORDER[*]}"

# Programs.
lib_closure() { # package -> the library packages it needs (through libraries only) the host lacks
	local -A seen=()
	local todo=("$1") next dep p
	while ((${#todo[@]})); do
		next=()
		for dep in $(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
			--no-replaces --no-enhances "${todo[@]}" 2>/dev/null |
			awk '$1 ~ /^\|?(Pre)?Depends:$/ && $2 ~ /^lib/ { print $2 }' | sort -u); do
			[ -z "${seen[$dep]:-}" ] || continue
			seen[$dep]=1
			next+=("$dep")
		done
		todo=("${next[@]}")
	done
	for p in "${!seen[@]}"; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
			echo "$p"
	done | sort
}

copy_with_libs() { # unpacked root, path in it, library search path
	local proot=$1 path=$2 libpath=$3 lib src
	mkdir -p "$ROOT$(dirname "$path")"
	cp -L "$proot$path" "$ROOT$path"
	if ! is_elf "$proot$path"; then
		return
	fi
	local out
	out=$(LD_LIBRARY_PATH=$libpath ldd "$proot$path" 2>&1) || true
	if grep -q 'not found' <<<"$out"; then
		die "$path needs libraries no package provides here: $(grep 'not found' <<<"$out" | awk '{print $1}' | tr '\n' ' ')"
	fi
	for lib in $(awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(0x/ { print $1 }' <<<"$out"); do
		src=$lib
		# Libraries from an unpacked package go to their place in the package.
		case $lib in "$WORK"/pkgs/*/*) lib=/${lib#"$WORK"/pkgs/*/} ;; esac
		if [ ! -e "$ROOT$lib" ]; then
			mkdir -p "$ROOT$(dirname "$lib")"
			cp -L "$src" "$ROOT$lib"
		fi
	done
}

# Programs are copied into their own tree (copy_with_libs writes under $ROOT).
BASE_ROOT=$ROOT
ROOT=$WORK/programs
rm -rf "$ROOT"
mkdir -p "$ROOT"
ALL_PROGRAMS=("${PROGRAMS[@]}")
if [ -n "${STRAND_IMAGE_PROGRAMS:-}" ]; then
	IFS=';' read -r -a extra <<<"$STRAND_IMAGE_PROGRAMS"
	ALL_PROGRAMS+=("${extra[@]}")
fi
PROGRAM_LIST=()
for entry in "${ALL_PROGRAMS[@]}"; do
	read -r -a words <<<"$entry"
	((${#words[@]} >= 2)) || die "program entry '$entry': want '<package> <path>...'"
	pkg=${words[0]}
	unpack "$(fetch "$pkg")" "$WORK/pkgs/$pkg"
	libpath=
	# The closure is slow to compute: kept with the unpacked package (redone when it changes).
	if [ ! -f "$WORK/pkgs/$pkg/.libdeps" ]; then
		lib_closure "$pkg" >"$WORK/pkgs/$pkg/.libdeps.tmp"
		mv "$WORK/pkgs/$pkg/.libdeps.tmp" "$WORK/pkgs/$pkg/.libdeps"
	fi
	for dep in $(cat "$WORK/pkgs/$pkg/.libdeps"); do
		unpack "$(fetch "$dep")" "$WORK/pkgs/$dep"
		for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib usr/lib; do
			[ -d "$WORK/pkgs/$dep/$d" ] && libpath=$libpath:$WORK/pkgs/$dep/$d
		done
	done
	for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
		[ -d "$WORK/pkgs/$pkg/$d" ] && libpath=$WORK/pkgs/$pkg/$d:$libpath
	done
	for path in "${words[@]:1}"; do
		[ -e "$WORK/pkgs/$pkg$path" ] || die "$pkg has no $path"
		if [ -d "$WORK/pkgs/$pkg$path" ]; then
			mkdir -p "$ROOT$path"
			cp -a "$WORK/pkgs/$pkg$path/." "$ROOT$path/"
		else
			copy_with_libs "$WORK/pkgs/$pkg" "$path" "${libpath#:}"
		fi
		PROGRAM_LIST+=("$path ($pkg $(candidate "$pkg"))")
	done
done

ROOT=$BASE_ROOT
echo strand >"$ROOT/etc/hostname"
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOT/etc/passwd"
echo 'root:x:0:' >"$ROOT/etc/group"
# The power button's action. busybox acpid maps KEY_POWER (value 1) from any /dev/input/event*
# to "button/power PWRF 00000080" and, with no /etc/acpid.conf, to the action PWRF/00000080,
# which it runs from its directory (/etc/acpi) when it is a file. PID 1 is the /init script, not
# busybox init, so a plain `poweroff` (a signal to PID 1) would do nothing: `poweroff -f` calls
# reboot(POWER_OFF), and Linux writes S5 to strand's ACPI sleep control register.
mkdir -p "$ROOT/etc/acpi/PWRF"
cat >"$ROOT/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
# The ACPI power button was pressed (QMP system_powerdown, virsh shutdown): power off.
echo "STRAND-POWER-BUTTON" >/dev/console
sync
poweroff -f
EOF
chmod 0755 "$ROOT/etc/acpi/PWRF/00000080"
cat >"$ROOT/init" <<'EOF'
#!/bin/sh
# /init of strand's Linux guest (tests/linux/build-image.sh; docs/linux.md).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=linux
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
hostname -F /etc/hostname
while read -r m; do
	insmod "/lib/modules/$m" || echo "strand-init: insmod $m failed"
done </etc/strand/modules

# The ACPI power button: once `button` and `evdev` are loaded its input device appears (devtmpfs
# makes the node a moment later); busybox acpid opens /dev/input/event0.. in order and runs
# /etc/acpi/PWRF/00000080 on a press. -d: foreground, log to stderr (the console).
n=0
while [ ! -e /dev/input/event0 ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
if [ -e /dev/input/event0 ]; then
	acpid -d -p /run/acpid.pid </dev/null >/dev/console 2>&1 &
else
	echo "strand-init: no /dev/input/event0: the ACPI power button is not heard"
fi

read -r up idle </proc/uptime
echo "STRAND-READY uptime=$up"

# The command: strand.cmd64=<base64>, "strand.cmd=A B", strand.cmd="A B" or strand.cmd=WORD.
cl=" $(cat /proc/cmdline)"
cmd=
case $cl in
*' strand.cmd64='*)
	cmd=${cl#* strand.cmd64=}
	cmd=$(echo "${cmd%% *}" | base64 -d)
	;;
*' "strand.cmd='*)
	cmd=${cl#* \"strand.cmd=}
	cmd=${cmd%%\"*}
	;;
*' strand.cmd="'*)
	cmd=${cl#* strand.cmd=\"}
	cmd=${cmd%%\"*}
	;;
*' strand.cmd='*)
	cmd=${cl#* strand.cmd=}
	cmd=${cmd%% *}
	;;
esac

if [ -n "$cmd" ]; then
	setsid cttyhack sh -c "$cmd"
	echo "STRAND-EXIT $?"
else
	setsid cttyhack sh
fi
sync
poweroff -f
while :; do sleep 1; done
EOF
chmod 0755 "$ROOT/init"

# ---- cpio (newc): /dev/console first (the kernel opens it before /init runs; written by hand
# so that no mknod, hence no root, is needed), then the tree, owned by root. ----
newc_entry() { # name, mode (octal), rdevmajor, rdevminor
	local name=$1 mode=$2 hdr
	hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 "$((8#$mode))" 0 0 1 0 0 0 0 "$3" "$4" "$((${#name} + 1))" 0)
	printf '%s%s\0' "$hdr" "$name"
	# header (110) + name + NUL, padded to 4
	local pad=$(((4 - (110 + ${#name} + 1) % 4) % 4))
	head -c $pad /dev/zero
}
{
	newc_entry dev 040755 0 0
	newc_entry dev/console 020600 5 1
	newc_entry TRAILER!!! 0 0 0
	# pad the first archive to 512 bytes, as cpio does
} >"$WORK/console.cpio"
size=$(stat -c %s "$WORK/console.cpio")
head -c $(((512 - size % 512) % 512)) /dev/zero >>"$WORK/console.cpio"
# A tree as a newc cpio, with fixed mtimes and a sorted order (busybox cpio still records
# inode numbers, so the bytes differ from run to run; the contents do not).
tree_cpio() { # tree, output
	find "$1" -exec touch -h -d @0 {} +
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | sed 's|^\./||' |
		"$BB" cpio -o -H newc -R 0:0 2>/dev/null) >"$2"
}
# An archive compressed as asked, published as OUT/NAME.
compress_publish() { # cpio, name
	case $COMPRESS in
	gzip) gzip -nc "$1" >"$OUT/$2.tmp" ;;
	zstd) zstd -19 -qc "$1" >"$OUT/$2.tmp" ;;
	none) cp "$1" "$OUT/$2.tmp" ;;
	esac
	publish "$OUT/$2.tmp" "$OUT/$2"
}
tree_cpio "$ROOT" "$WORK/tree.cpio"
cat "$WORK/console.cpio" "$WORK/tree.cpio" >"$WORK/initramfs.cpio"
compress_publish "$WORK/initramfs.cpio" initramfs.img

# The programs' archive: its own cpio, the same compression; none without programs.
if ((${#PROGRAM_LIST[@]})); then
	tree_cpio "$WORK/programs" "$WORK/programs.cpio"
	compress_publish "$WORK/programs.cpio" programs.img
else
	rm -f "$OUT/programs.img"
fi

{
	echo "kernel-package: $KPKG $(candidate "$KPKG")"
	echo "kernel-release: $KVER"
	echo "busybox: $BUSYBOX_PKG $(candidate "$BUSYBOX_PKG")"
	echo "initramfs-compression: $COMPRESS"
	echo "modules (load order): ${ORDER[*]}"
	for p in "${PROGRAM_LIST[@]}"; do echo "program: $p"; done
	for f in vmlinuz vmlinux initramfs.img programs.img; do
		[ -f "$OUT/$f" ] || continue
		echo "file: $f $(stat -c %s "$OUT/$f") bytes sha256 $(sha256sum "$OUT/$f" | cut -d' ' -f1)"
	done
} >"$OUT/manifest.txt.tmp"
publish "$OUT/manifest.txt.tmp" "$OUT/manifest.txt"
cat "$OUT/manifest.txt"
