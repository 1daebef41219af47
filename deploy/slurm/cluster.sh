#!/usr/bin/env bash
# deploy/slurm/cluster.sh — a throw-away, single-node Slurm cluster for tests.
#
#   cluster.sh start DIR    write DIR/slurm.conf, start munged + slurmctld + slurmd,
#                           wait (bounded) until `sinfo` shows the node idle
#   cluster.sh stop DIR     stop what `start DIR` started and wait for it to exit
#                           (safe to call twice, or on a DIR whose start failed)
#   cluster.sh status DIR   print sinfo/squeue of the cluster (exit 1 if it is not up)
#   cluster.sh env DIR      print `export SLURM_CONF=DIR/slurm.conf`
#
# Clients (sinfo, srun, sbatch, squeue, scancel, deploy/slurm/submit.sh) use this
# cluster when SLURM_CONF=DIR/slurm.conf is in their environment:
#
#   deploy/slurm/cluster.sh start /tmp/slurm-test
#   export SLURM_CONF=/tmp/slurm-test/slurm.conf
#   srun -N1 hostname
#   deploy/slurm/cluster.sh stop /tmp/slurm-test
#
# Everything lives under DIR: slurm.conf, cgroup.conf, plugstack.conf, the munge key,
# socket, pid, seed and log, slurmctld's state, slurmd's spool, every log and pid file.
# Nothing in /etc is read or written, so it does not disturb (and is not disturbed
# by) a system Slurm or munge. It runs as root (SlurmUser=root), listens on loopback
# only (NodeAddr=127.0.0.1, CommunicationParameters=NoInAddrAny), on two free ports
# chosen at start, with no accounting database, proctrack/linuxproc and task/none, so
# it needs neither systemd nor cgroups (it works in a container).
#
# Environment (all optional):
#   CLUSTER_START_TIMEOUT   seconds to wait for the node to be idle (default 60)
#   CLUSTER_CTLD_PORT       SlurmctldPort (default: a free port on 127.0.0.1)
#   CLUSTER_SLURMD_PORT     SlurmdPort    (default: a free port on 127.0.0.1)
#   CLUSTER_PARTITION       partition name (default debug)
#
# Written for Debian 12's slurm-wlm 22.05 and munge 0.5.15 (apt-get install slurm-wlm munge).
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
[ -n "$2" ] || die "DIR must not be empty"
case "$2" in *[[:space:],=\"\'#]*) die "DIR must not contain blanks, commas, quotes, '=' or '#' (it goes into slurm.conf): $2" ;; esac
if [ "$cmd" = start ]; then mkdir -p "$2" || die "cannot create $2"; fi
if [ ! -d "$2" ]; then
  [ "$cmd" = stop ] && { echo "cluster.sh: nothing to stop ($2 does not exist)"; exit 0; }
  die "no such folder $2"
fi
DIR=$(cd "$2" && pwd -P)
CONF="$DIR/slurm.conf"
MUNGE_SOCKET="$DIR/munge/munge.socket"

# --- helpers -------------------------------------------------------------------

free_port() {
  # A TCP port nobody listens on, on 127.0.0.1, that is not in $1 (a list to avoid).
  local avoid=${1:-} p i
  if command -v python3 >/dev/null 2>&1; then
    for i in 1 2 3 4 5 6 7 8 9 10; do
      p=$(python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
      case " $avoid " in *" $p "*) continue ;; esac
      echo "$p"; return 0
    done
  fi
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM % 20000) ))
    case " $avoid " in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

# pid of a daemon this DIR started (from its pid file), if that process is still alive
# and its command line names DIR (so a recycled pid is never touched).
daemon_pid() {
  local f=$1 pid
  [ -s "$f" ] || return 1
  pid=$(tr -dc '0-9' < "$f")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$DIR/" || return 1
  echo "$pid"
}

# pids of processes whose environment has SLURM_CONF=$CONF and whose name is $1
# (slurmstepd processes forked by this cluster's slurmd inherit its environment).
procs_with_conf() {
  local name=$1 p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = "$name" ] || continue
    { tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$CONF" || continue
    echo "${p#/proc/}"
  done
}

wait_gone() {
  # wait_gone SECONDS PID... : 0 when all gone
  local t=$1; shift
  local end=$(( $(date +%s) + t )) p alive
  while :; do
    alive=""
    for p in "$@"; do [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && return 0
    [ "$(date +%s)" -ge "$end" ] && return 1
    sleep 0.2
  done
}

log_tails() {
  local f
  for f in "$DIR/log/munged.log" "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"; do
    [ -f "$f" ] || continue
    echo "----- tail -n 25 $f" >&2
    tail -n 25 "$f" >&2
  done
}

# --- stop ----------------------------------------------------------------------

do_stop() {
  local pids="" p name
  export SLURM_CONF="$CONF"
  # Cancel whatever still runs, so slurmstepd and job processes end cleanly.
  if [ -f "$CONF" ] && daemon_pid "$DIR/run/slurmctld.pid" >/dev/null; then
    timeout 10 scancel --quiet --full --user=root 2>/dev/null || true
  fi
  for name in slurmd slurmctld; do
    if p=$(daemon_pid "$DIR/run/$name.pid"); then kill -TERM "$p" 2>/dev/null || true; pids="$pids $p"; fi
  done
  # shellcheck disable=SC2086
  [ -z "$pids" ] || wait_gone 20 $pids || { for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done; wait_gone 5 $pids || true; }
  # Steps left over from this cluster (slurmstepd) and their children.
  for p in $(procs_with_conf slurmstepd); do kill -KILL "$p" 2>/dev/null || true; done
  if p=$(daemon_pid "$DIR/munge/munged.pid"); then
    kill -TERM "$p" 2>/dev/null || true
    wait_gone 10 "$p" || { kill -KILL "$p" 2>/dev/null || true; wait_gone 5 "$p" || true; }
  fi
  rm -f "$DIR/run/"*.pid "$DIR/munge/munged.pid" 2>/dev/null || true
  echo "cluster.sh: stopped ($DIR)"
}

# --- start ---------------------------------------------------------------------

write_conf() {
  local host=$1 ctld_port=$2 slurmd_port=$3 cpus=$4 mem=$5 part=$6
  cat > "$CONF" <<EOF
# Written by deploy/slurm/cluster.sh for a single-node test cluster in $DIR.
ClusterName=probitytest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=60
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host $cpus RealMemory=$mem State=UNKNOWN
PartitionName=$part Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  # cgroup.conf is read only by cgroup plugins, none of which is configured; it is
  # written so that no slurm component falls back to /etc/slurm/cgroup.conf.
  cat > "$DIR/cgroup.conf" <<EOF
# Written by deploy/slurm/cluster.sh: no cgroup plugin is used by this cluster.
CgroupAutomount=no
EOF
  : > "$DIR/plugstack.conf"
}

# Closes every inherited descriptor above stderr, so the daemons started below hold none of
# the caller's pipes or files open (a caller that waits for them to close would hang).
close_inherited_fds() {
  local fd
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
  done
}

do_start() {
  close_inherited_fds
  command -v munged >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v sinfo >/dev/null || die "needs munge and slurm-wlm (apt-get install slurm-wlm munge)"
  [ "$(id -u)" = 0 ] || die "must run as root (SlurmUser=root)"
  if daemon_pid "$DIR/run/slurmctld.pid" >/dev/null || daemon_pid "$DIR/munge/munged.pid" >/dev/null \
     || daemon_pid "$DIR/run/slurmd.pid" >/dev/null; then
    die "a cluster is already running in $DIR (run: $0 stop $DIR)"
  fi
  local t0 host cpus mem part ctld_port slurmd_port timeout
  t0=$(date +%s)
  timeout=${CLUSTER_START_TIMEOUT:-60}
  part=${CLUSTER_PARTITION:-debug}
  host=$(hostname -s 2>/dev/null || hostname)
  [ -n "$host" ] || die "no hostname"
  # The node's CPU layout as slurmd sees it (so it does not "reconfigure socket/core
  # boundaries"); plain CPUs=<nproc> if slurmd -C gives nothing usable.
  cpus=$(slurmd -C 2>/dev/null | head -n 1 | tr ' ' '\n' \
    | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=[0-9]+$' | tr '\n' ' ' || true)
  case "$cpus" in *CPUs=*) cpus=${cpus% } ;; *) cpus="CPUs=$(nproc)" ;; esac
  mem=$(awk '/^MemTotal:/ { m = int($2 / 1024 * 0.9); if (m < 1) m = 1; print m }' /proc/meminfo)
  ctld_port=${CLUSTER_CTLD_PORT:-$(free_port)}
  slurmd_port=${CLUSTER_SLURMD_PORT:-$(free_port "$ctld_port")}

  umask 022
  mkdir -p "$DIR/state" "$DIR/spool/slurmd" "$DIR/run" "$DIR/log" "$DIR/munge"
  chmod 0755 "$DIR/munge"
  rm -f "$DIR/log/"*.log "$DIR/munge/munged.log"
  write_conf "$host" "$ctld_port" "$slurmd_port" "$cpus" "$mem" "$part"
  export SLURM_CONF="$CONF"

  # munge: own key, socket, pid, seed and log (munged refuses group/world-writable paths
  # unless --force; DIR/munge is 0755, --force tolerates e.g. DIR under a 1777 /tmp).
  if [ ! -s "$DIR/munge/munge.key" ]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$DIR/munge/munge.key" >/dev/null
    else
      dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    fi
  fi
  chmod 0600 "$DIR/munge/munge.key"
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
  munged --force --socket="$MUNGE_SOCKET" --key-file="$DIR/munge/munge.key" \
    --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed" \
    --log-file="$DIR/log/munged.log" </dev/null >"$DIR/log/munged.stdout" 2>&1 \
    || { log_tails; do_stop >/dev/null 2>&1; die "munged failed to start"; }
  local i
  for i in $(seq 1 50); do
    [ -S "$MUNGE_SOCKET" ] && munge -n --socket="$MUNGE_SOCKET" </dev/null 2>/dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null 2>&1 && break
    sleep 0.2
  done
  [ -S "$MUNGE_SOCKET" ] || { log_tails; do_stop >/dev/null 2>&1; die "munged socket $MUNGE_SOCKET did not appear"; }

  # slurmctld (-i: ignore state files it cannot read; a new DIR has none) and slurmd.
  slurmctld -i -f "$CONF" </dev/null >"$DIR/log/slurmctld.stdout" 2>&1 \
    || { log_tails; do_stop >/dev/null 2>&1; die "slurmctld failed to start"; }
  slurmd -f "$CONF" </dev/null >"$DIR/log/slurmd.stdout" 2>&1 \
    || { log_tails; do_stop >/dev/null 2>&1; die "slurmd failed to start"; }

  local state="" name
  while :; do
    state=$(timeout 10 sinfo -h -N -n "$host" -o '%t' 2>/dev/null | head -n 1 || true)
    case "$state" in
      idle) break ;;
      down*|drain*|fail*)
        # ReturnToService=2 should bring it back; nudge it if not.
        timeout 10 scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    if [ $(( $(date +%s) - t0 )) -ge 3 ]; then
      for name in slurmctld slurmd; do
        if ! daemon_pid "$DIR/run/$name.pid" >/dev/null; then
          echo "cluster.sh: $name is not running (it exited; see its log below)" >&2
          log_tails
          do_stop >/dev/null 2>&1 || true
          exit 1
        fi
      done
    fi
    if [ $(( $(date +%s) - t0 )) -ge "$timeout" ]; then
      echo "cluster.sh: node $host not idle after ${timeout}s (sinfo state: '${state:-no answer}')" >&2
      log_tails
      do_stop >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "cluster.sh: up in $(( $(date +%s) - t0 ))s: node $host idle, partition $part," \
       "slurmctld 127.0.0.1:$ctld_port, slurmd 127.0.0.1:$slurmd_port"
  echo "export SLURM_CONF=$CONF"
}

do_status() {
  export SLURM_CONF="$CONF"
  [ -f "$CONF" ] || die "no cluster in $DIR"
  timeout 10 sinfo -N -l && timeout 10 squeue
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) usage ;;
esac
