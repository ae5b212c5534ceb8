#!/usr/bin/env bash
# Linux boot time: boot the project's Debian image N times per entry path (PVH vmlinux and
# bzImage) and time, from the moment strand is started, the initramfs ready marker
# (STRAND-READY) and strand's exit after `poweroff -f`. Prints the raw samples and the median
# per path, and writes them as JSON (-o FILE). Optional peer: the same kernel, initramfs and
# command line under QEMU's microvm machine (--qemu), timed the same way or recorded as failed
# with the last console line.
#
#   bench/linux-boot.sh [-n RUNS] [-o FILE] [--vcpus N] [--memory SIZE] [--modes "pvh bzimage"]
#                       [--qemu] [--timeout SECONDS] [--dir IMAGE_DIR]
#
# On PVM hosts each boot takes minutes (docs/linux.md); on hardware KVM about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3 out="" vcpus=1 memory=256M modes="pvh bzimage" qemu=0 timeout=1800 dir=build/linux
while [ $# -gt 0 ]; do
  case $1 in
    -n) runs=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --vcpus) vcpus=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --qemu) qemu=1; shift ;;
    --timeout) timeout=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "linux-boot.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $runs in ''|*[!0-9]*|0) echo "linux-boot.sh: -n wants a positive count" >&2; exit 2 ;; esac

strand=build/machine/strand
if [ ! -x "$strand" ]; then
  ./tests/deps.sh
  [ -f build/build.ninja ] || meson setup build >/dev/null
  ninja -C build >/dev/null
fi
if [ ! -f "$dir/vmlinux" ] || [ ! -f "$dir/vmlinuz" ] || [ ! -f "$dir/initramfs.img" ]; then
  STRAND_IMAGE_COMPRESS=${STRAND_IMAGE_COMPRESS:-none} ./tests/linux/build-image.sh "$dir"
fi
logdir=$(mktemp -d /tmp/strand-linux-boot.XXXXXX)

now() { date +%s.%N; }

# Time one boot: command... ; prints "ready_s exit_s status" (ready_s "-" if never seen).
time_boot() { # log, command...
  local log=$1; shift
  local t0 ready=- rc
  t0=$(now)
  set +e
  "$@" 2>&1 | while IFS= read -r line; do
    printf '%s %s\n' "$(now)" "$line"
  done >"$log"
  rc=${PIPESTATUS[0]}
  set -e
  local t1
  t1=$(now)
  if grep -q "STRAND-READY" "$log"; then
    ready=$(grep -m1 "STRAND-READY" "$log" | awk -v t0="$t0" '{printf "%.3f", $1 - t0}')
  fi
  awk -v a="$t0" -v b="$t1" -v r="$ready" -v s="$rc" 'BEGIN{printf "%s %.3f %s\n", r, b - a, s}'
}

median() { sort -g | awk '{v[NR]=$1} END{if (NR==0) {print "-"; exit} if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

declare -A samples_ready samples_exit status_of
cmdline="strand.cmd=nproc"
for mode in $modes; do
  for i in $(seq "$runs"); do
    log=$logdir/$mode-$i.log
    res=$(time_boot "$log" timeout -s KILL $((timeout + 60)) "$strand" run --linux --linux-dir "$dir" \
            --linux-boot "$mode" --vcpus "$vcpus" --memory "$memory" --timeout "${timeout}s" \
            --cmdline "$cmdline")
    read -r r e s <<<"$res"
    echo "$mode run $i: ready ${r}s, exit ${e}s, status $s (log $log)"
    samples_ready[$mode]+="$r "
    samples_exit[$mode]+="$e "
    status_of[$mode]+="$s "
  done
done

qemu_result=""
if [ "$qemu" = 1 ]; then
  if ! command -v qemu-system-x86_64 >/dev/null; then
    apt-get install -y -q qemu-system-x86 >/dev/null
  fi
  # The same kernel command line strand gives the guest (strand prints it at --log-level info).
  qcmd=$("$strand" run --linux --linux-dir "$dir" --log-level info --timeout 1ms \
           --cmdline "$cmdline" 2>&1 | sed -n 's/.*kernel command line: //p' | head -1)
  log=$logdir/qemu.log
  res=$(time_boot "$log" timeout -s KILL "$timeout" qemu-system-x86_64 -M microvm,acpi=on \
          -enable-kvm -cpu host,-arch-capabilities -smp "$vcpus" -m "$memory" -nodefaults -no-user-config \
          -nographic -serial stdio -kernel "$dir/vmlinuz" -initrd "$dir/initramfs.img" \
          -append "$qcmd" -no-reboot)
  read -r r e s <<<"$res"
  last=$(grep -v '^[0-9.]* *$' "$log" | tail -1 | cut -d' ' -f2- | tr -d '\r"\\' | cut -c1-200)
  echo "qemu microvm: ready ${r}s, exit ${e}s, status $s; last line: $last (log $log)"
  qemu_result="{\"ready_s\": \"$r\", \"exit_s\": $e, \"status\": $s, \"last_line\": \"$last\"}"
fi

echo
printf '%-8s %6s %12s %12s  %s\n' mode runs "median ready" "median exit" "ready samples"
for mode in $modes; do
  mr=$(tr ' ' '\n' <<<"${samples_ready[$mode]}" | grep -v '^-\?$' | median)
  me=$(tr ' ' '\n' <<<"${samples_exit[$mode]}" | grep -v '^$' | median)
  printf '%-8s %6s %11ss %11ss  %s\n' "$mode" "$runs" "$mr" "$me" "${samples_ready[$mode]}"
done

if [ -n "$out" ]; then
  {
    printf '{"schema": "strand-linux-boot/1", "host": "%s", "kernel": "%s", "vcpus": %s, "memory": "%s", "modes": {' \
      "$(uname -n)" "$(cat "$dir/kernel-release" 2>/dev/null || echo unknown)" "$vcpus" "$memory"
    sep=""
    for mode in $modes; do
      printf '%s"%s": {"ready_s": [%s], "exit_s": [%s], "status": [%s]}' "$sep" "$mode" \
        "$(tr ' ' '\n' <<<"${samples_ready[$mode]}" | grep -v '^$' | sed 's/^-$/null/' | paste -sd,)" \
        "$(tr ' ' '\n' <<<"${samples_exit[$mode]}" | grep -v '^$' | paste -sd,)" \
        "$(tr ' ' '\n' <<<"${status_of[$mode]}" | grep -v '^$' | paste -sd,)"
      sep=", "
    done
    printf '}'
    [ -n "$qemu_result" ] && printf ', "qemu_microvm": %s' "$qemu_result"
    printf '}\n'
  } >"$out"
  echo "wrote $out"
fi
