#!/usr/bin/env bash
# Make Postgres and Redis reachable on 127.0.0.1 (5432, 6379): use running ones, else start the
# local Debian services (installing them if needed), else docker compose where an engine runs.
source "$(dirname "$0")/lib.sh"

have_docker() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

if ! tcp_open 127.0.0.1 5432; then
  if ! command -v pg_ctlcluster >/dev/null && have_docker; then
    log "starting postgres with docker compose"
    docker compose -f "$ROOT/docker-compose.yml" up -d postgres
  else
    apt_install postgresql
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
    if [ -z "$ver" ]; then echo "postgresql installed but no cluster found" >&2; exit 1; fi
    log "starting postgres $ver"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || $SUDO pg_ctlcluster "$ver" main start
    # A fresh cluster needs a password for TCP logins (scram); trust-auth clusters ignore it.
    $SUDO su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
  fi
  for _ in $(seq 1 60); do tcp_open 127.0.0.1 5432 && break; sleep 0.5; done
fi
tcp_open 127.0.0.1 5432 || { echo "Postgres is not reachable on 127.0.0.1:5432" >&2; exit 1; }

if ! tcp_open 127.0.0.1 6379; then
  if ! command -v redis-server >/dev/null && have_docker; then
    log "starting redis with docker compose"
    docker compose -f "$ROOT/docker-compose.yml" up -d redis
  else
    apt_install redis-server
    log "starting redis"
    mkdir -p /tmp/trainyard-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/trainyard-redis >/dev/null
  fi
  for _ in $(seq 1 60); do tcp_open 127.0.0.1 6379 && break; sleep 0.5; done
fi
tcp_open 127.0.0.1 6379 || { echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }
log "postgres and redis are up"
