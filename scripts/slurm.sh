#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the slurm backend's tests and for trying it:
# munged, MariaDB + slurmdbd (so `sacct` works), slurmctld and slurmd from Debian's packages.
#
#   bash scripts/slurm.sh          install what is missing, write the config, start what is down
#   bash scripts/slurm.sh status   what runs
#   bash scripts/slurm.sh stop     stop slurmd, slurmctld, slurmdbd and munged (MariaDB is left alone)
#
# Idempotent: a second run with everything up changes nothing. The config goes to /etc/slurm
# (marked as ours; a slurm.conf written by someone else is never overwritten). Partitions:
#   debug   the default
#   batch   a second open partition (allow-list tests)
#   closed  State=DOWN: accepts jobs and never starts them (jobs stay PENDING, reason PartitionDown)
# Accounts `trainyard` (the default) and `lab`, QoS `normal` and `high`, enforced by slurmdbd.
# The node advertises at least 8 CPUs (config_overrides) so several small test jobs run at once.
source "$(dirname "$0")/lib.sh"

CONF_DIR=/etc/slurm
MARK="# managed by trainyard scripts/slurm.sh"
CLUSTER=trainyard
NODE="$(hostname -s)"
DB_PASS=trainyard-slurmdbd

running() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

stop_daemon() { # pidfile name
  if running "$1"; then
    local pid
    pid="$(cat "$1")"
    log "stopping $2 ($pid)"
    $SUDO kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
}

case "${1:-start}" in
  stop)
    stop_daemon /run/slurmd.pid slurmd
    stop_daemon /run/slurmctld.pid slurmctld
    stop_daemon /run/slurmdbd.pid slurmdbd
    stop_daemon /run/munge/munged.pid munged
    exit 0
    ;;
  status)
    for d in munge/munged slurmdbd slurmctld slurmd; do
      if running "/run/$d.pid"; then echo "${d#*/}: running ($(cat "/run/$d.pid"))"; else echo "${d#*/}: stopped"; fi
    done
    command -v sinfo >/dev/null && sinfo 2>&1 || true
    exit 0
    ;;
  start) ;;
  *)
    echo "usage: $0 [start|status|stop]" >&2
    exit 2
    ;;
esac

apt_install munge slurm-wlm slurmdbd slurm-wlm-mysql-plugin mariadb-server

if [ -f "$CONF_DIR/slurm.conf" ] && ! grep -qF "$MARK" "$CONF_DIR/slurm.conf"; then
  echo "$CONF_DIR/slurm.conf exists and was not written by this script; leaving this machine's Slurm alone" >&2
  exit 1
fi

# --- munge: the credential daemon every Slurm daemon and command talks to ---
if ! running /run/munge/munged.pid; then
  log "starting munged"
  $SUDO install -d -o munge -g munge -m 0755 /run/munge
  [ -f /etc/munge/munge.key ] || $SUDO runuser -u munge -- /usr/sbin/mungekey --create
  $SUDO runuser -u munge -- /usr/sbin/munged
fi
for _ in $(seq 1 50); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
munge -n </dev/null | unmunge >/dev/null || { echo "munge does not answer" >&2; exit 1; }

# --- MariaDB + slurmdbd: job accounting, so that sacct can show finished jobs ---
if ! $SUDO mysqladmin ping >/dev/null 2>&1; then
  log "starting mariadb"
  $SUDO /etc/init.d/mariadb start >/dev/null
fi
for _ in $(seq 1 100); do $SUDO mysqladmin ping >/dev/null 2>&1 && break; sleep 0.2; done
$SUDO mysql -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"

mem_mib=$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)
cpus=$(nproc)
[ "$cpus" -lt 8 ] && cpus=8

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/slurmdbd.conf" <<EOF
$MARK
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
PidFile=/run/slurmdbd.pid
LogFile=/var/log/slurm/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
cat >"$tmp/slurm.conf" <<EOF
$MARK
ClusterName=$CLUSTER
SlurmctldHost=$NODE
SlurmUser=slurm
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=512
SlurmdParameters=config_overrides
ReturnToService=2
EnforcePartLimits=ALL
KillWait=30
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations,limits,qos
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=5
JobAcctGatherParams=OverMemoryKill
NodeName=$NODE CPUs=$cpus RealMemory=$((mem_mib * 9 / 10)) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=batch Nodes=ALL MaxTime=INFINITE State=UP
PartitionName=closed Nodes=ALL MaxTime=INFINITE State=DOWN
EOF

changed=0
for f in slurm.conf slurmdbd.conf; do
  if ! $SUDO cmp -s "$tmp/$f" "$CONF_DIR/$f" 2>/dev/null; then
    changed=1
    log "writing $CONF_DIR/$f"
    $SUDO install -d -m 0755 "$CONF_DIR"
    $SUDO install -m 0644 "$tmp/$f" "$CONF_DIR/$f"
  fi
done
# slurmdbd refuses a config that others can read (it holds the database password).
$SUDO chown slurm:slurm "$CONF_DIR/slurmdbd.conf"
$SUDO chmod 0600 "$CONF_DIR/slurmdbd.conf"
if [ $changed = 1 ]; then
  stop_daemon /run/slurmd.pid slurmd
  stop_daemon /run/slurmctld.pid slurmctld
  stop_daemon /run/slurmdbd.pid slurmdbd
fi
$SUDO install -d -o slurm -g slurm -m 0755 /var/lib/slurm/slurmctld /var/log/slurm
$SUDO install -d -m 0755 /var/lib/slurm/slurmd

if ! running /run/slurmdbd.pid; then
  log "starting slurmdbd"
  $SUDO slurmdbd
fi
for _ in $(seq 1 100); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.2; done
sacctmgr -n show cluster >/dev/null || { echo "slurmdbd does not answer (see /var/log/slurm/slurmdbd.log)" >&2; exit 1; }

# Accounting objects (each command is a no-op when the object exists).
if [ -z "$(sacctmgr -n -P show cluster "$CLUSTER" format=cluster)" ]; then $SUDO sacctmgr -i add cluster "$CLUSTER" >/dev/null; fi
if [ -z "$(sacctmgr -n -P show qos high format=name)" ]; then $SUDO sacctmgr -i add qos high priority=10 >/dev/null; fi
for acct in trainyard lab; do
  if [ -z "$(sacctmgr -n -P show account "$acct" format=account)" ]; then
    $SUDO sacctmgr -i add account "$acct" cluster="$CLUSTER" description="trainyard $acct" organization=trainyard >/dev/null
  fi
done
me="$(id -un)"
if [ -z "$(sacctmgr -n -P show assoc user="$me" account=trainyard format=user)" ]; then
  $SUDO sacctmgr -i add user "$me" account=trainyard,lab defaultaccount=trainyard qos=normal,high cluster="$CLUSTER" >/dev/null
fi

if ! running /run/slurmctld.pid; then
  log "starting slurmctld"
  $SUDO slurmctld
fi
if ! running /run/slurmd.pid; then
  log "starting slurmd"
  $SUDO slurmd
fi
state=""
for _ in $(seq 1 150); do
  state="$(sinfo -h -n "$NODE" -p debug -o %T 2>/dev/null | head -1)"
  case "$state" in
    idle* | mixed* | allocated* | completing*) break ;;
    down* | drain*) $SUDO scontrol update nodename="$NODE" state=resume 2>/dev/null || true ;;
  esac
  sleep 0.2
done
case "$state" in
  idle* | mixed* | allocated* | completing*) ;;
  *)
    echo "the node did not come up (state '$state'; see /var/log/slurm/slurmctld.log and slurmd.log)" >&2
    exit 1
    ;;
esac
log "slurm cluster '$CLUSTER' is up: node $NODE ($cpus CPUs), partitions debug (default), batch, closed (down)"
echo "stop it with: bash scripts/slurm.sh stop" >&2
