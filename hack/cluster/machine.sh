#!/usr/bin/env bash
# What hack/cluster.sh changes on the machine outside its own dirs, and how it is undone.
#
#   machine.sh snapshot DIR    record the machine's state (iptables, links, mounts, sysctls,
#                              cgroups, the fixed paths a node writes to) into DIR
#   machine.sh compare A B     diff two snapshots; exit 1 if they differ
#   machine.sh sweep BEFORE    undo what a node left behind, after its processes stopped:
#                              mounts, kubepods cgroups, the bridge, KUBE-* iptables chains
#                              and the nf_tables tables they needed, sysctls (back to the values in snapshot BEFORE), fixed paths
#                              that did not exist in BEFORE
#
# GLASS_MACHINE_IGNORE (compare): an extended regex of lines to leave out of the diff, for a
# machine where something else (e.g. podman containers) changes the same tables meanwhile.
set -euo pipefail
# shellcheck source=hack/cluster/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Kernel settings kubelet (protectKernelDefaults: false), kube-proxy and the CNI bridge
# plugin (isGateway turns on forwarding) may change.
SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.default.forwarding
  net.ipv6.conf.all.forwarding net.ipv6.conf.default.forwarding
  net.ipv4.conf.all.route_localnet
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait)

# Fixed paths a node may create whatever its config says (containerd's shim sockets live
# under /run/containerd/s; the kubelet's /var/log/containers symlinks are hard-coded; libcni
# caches results under /var/lib/cni), and the usual defaults, in case a config misses one.
FIXED_PATHS=(/run/containerd /run/netns /var/lib/cni /var/log/containers /var/log/pods
  /var/lib/kubelet /var/lib/containerd /opt/containerd /etc/kubernetes
  /usr/libexec/kubernetes /run/kubernetes)

sysctl_path() { printf '/proc/sys/%s\n' "${1//.//}"; }

snapshot() {
  local dir=$1 s p
  mkdir -p "$dir"
  # Counters and the "# Generated ... on <date>" lines change by themselves.
  iptables-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]$/[0:0]/' >"$dir/iptables"
  ip6tables-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]$/[0:0]/' >"$dir/ip6tables"
  # Names, flags and master; not ifindex or counters.
  ip -o link show | awk '{ $1 = ""; print }' | sed -e 's/ link\/.*//' | sort >"$dir/links"
  ip -4 -o addr show | awk '{ print $2, $4 }' | sort >"$dir/addrs"
  findmnt -rn -o TARGET,SOURCE,FSTYPE | sort >"$dir/mounts"
  : >"$dir/sysctls"
  for s in "${SYSCTLS[@]}"; do
    p=$(sysctl_path "$s")
    [[ -r "$p" ]] && printf '%s = %s\n' "$s" "$(<"$p")" >>"$dir/sysctls"
  done
  find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort >"$dir/cgroups"
  : >"$dir/paths"
  for p in "${FIXED_PATHS[@]}" "$CLUSTER_DIR" "$CLUSTER_RUN"; do
    [[ -e "$p" ]] && printf '%s\n' "$p" >>"$dir/paths"
  done
  # Processes that name the node's dirs (there must be none once it is down).
  pgrep -a -f -- "$CLUSTER_RUN|$CLUSTER_DIR/" | grep -v -e " pgrep " -e "machine.sh" | awk '{ $1 = ""; print }' |
    sort >"$dir/processes" || true
}

compare() {
  local a=$1 b=$2 f rc=0 ignore=${GLASS_MACHINE_IGNORE:-}
  for f in iptables ip6tables links addrs mounts sysctls cgroups paths processes; do
    if [[ -n "$ignore" ]]; then
      diff -u --label "before/$f" --label "after/$f" <(grep -Ev -- "$ignore" "$a/$f") <(grep -Ev -- "$ignore" "$b/$f") || rc=1
    else
      diff -u --label "before/$f" --label "after/$f" "$a/$f" "$b/$f" || rc=1
    fi
  done
  return "$rc"
}

# Unmount everything under the node's dirs, deepest first; netns from the CNI under /run/netns.
sweep_mounts() {
  local m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || clog "cannot unmount $m"
  done < <(findmnt -rn -o TARGET | awk -v d="$CLUSTER_DIR/" -v r="$CLUSTER_RUN/" \
    'index($0, d) == 1 || index($0, r) == 1 || $0 ~ "^/run/netns/cni-"' | sort -r)
}

# kubepods cgroups (cgroupfs driver, one tree per v1 controller), deepest first. A process
# still in one is a container `down` could not stop through containerd: kill it by PID.
sweep_cgroups() {
  local ctl pids pid
  for ctl in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d "$ctl" ]] || continue
    pids=$(find "$ctl" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u) || true
    for pid in $pids; do
      clog "killing pid $pid left in $ctl"
      kill -KILL "$pid" 2>/dev/null || true
    done
    find "$ctl" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ ! -d "$ctl" ]] || clog "could not remove $ctl"
  done
}

sweep_links() {
  local l
  for l in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    ip link del "$l" 2>/dev/null || true
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
}

# Rules that jump to KUBE-* chains, then the chains themselves, in every table, v4 and v6.
# (kube-proxy --cleanup has removed its own by now; the kubelet's are left.)
sweep_iptables() {
  local ipt t line chain
  for ipt in iptables ip6tables; do
    for t in filter nat mangle raw; do
      "$ipt-save" -t "$t" >/dev/null 2>&1 || continue
      while read -r line; do
        # iptables-save quotes arguments the way a shell reads them.
        eval "$ipt -w -t $t -D ${line#-A }" || clog "$ipt -t $t: could not delete: $line"
      done < <("$ipt-save" -t "$t" | grep -E '^-A ' | grep -Ev '^-A KUBE-' | grep -E -- '-j KUBE-')
      for chain in $("$ipt-save" -t "$t" | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p'); do
        "$ipt" -w -t "$t" -F "$chain"
      done
      for chain in $("$ipt-save" -t "$t" | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p'); do
        "$ipt" -w -t "$t" -X "$chain" || clog "$ipt -t $t: could not delete chain $chain"
      done
    done
  done
}

# iptables-nft makes the nf_tables tables it writes to (the kubelet's KUBE-IPTABLES-HINT in
# mangle, its canaries in ip6 filter/nat, ...) and nothing in iptables removes a table. Delete
# those that were not there before and hold no rules any more.
sweep_tables() {
  local before=$1 ipt fam t
  for ipt in iptables ip6tables; do
    fam=ip
    [[ $ipt == iptables ]] || fam=ip6
    for t in $("$ipt-save" | sed -n 's/^\*//p'); do
      grep -qxF "*$t" "$before/$ipt" && continue
      "$ipt-save" -t "$t" | grep -q '^-A ' && continue
      if command -v nft >/dev/null 2>&1; then
        nft delete table "$fam" "$t" || clog "could not delete the empty nf_tables table $fam $t"
      else
        clog "the empty nf_tables table $fam $t is left: apt-get install nftables, then run 'nft delete table $fam $t'"
      fi
    done
  done
}

sweep_sysctls() {
  local before=$1 s v p
  while IFS=' = ' read -r s v; do
    p=$(sysctl_path "$s")
    [[ -w "$p" ]] || continue
    if [[ "$(<"$p")" != "$v" ]]; then
      printf '%s\n' "$v" >"$p" || clog "cannot restore $s to $v"
    fi
  done <"$before/sysctls"
}

sweep_paths() {
  local before=$1 p
  # libcni's cache of our network's results, in a dir podman may share.
  rm -rf /var/lib/cni/results/"$CNI_NETWORK"-* /var/lib/cni/networks/"$CNI_NETWORK"
  for p in "${FIXED_PATHS[@]}"; do
    [[ -e "$p" ]] || continue
    grep -qxF -- "$p" "$before/paths" && continue
    rm -rf -- "$p"
  done
}

sweep() {
  local before=$1
  [[ -f "$before/sysctls" && -f "$before/paths" ]] || cdie "$before is not a machine snapshot"
  sweep_mounts
  sweep_cgroups
  sweep_links
  sweep_iptables
  sweep_tables "$before"
  sweep_sysctls "$before"
  sweep_paths "$before"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
  snapshot) snapshot "${2:?usage: machine.sh snapshot DIR}" ;;
  compare) compare "${2:?usage: machine.sh compare A B}" "${3:?usage: machine.sh compare A B}" ;;
  sweep) sweep "${2:?usage: machine.sh sweep BEFORE}" ;;
  *) cdie "usage: hack/cluster/machine.sh snapshot DIR | compare A B | sweep BEFORE" ;;
  esac
fi
