#!/usr/bin/env bash
# Installs the Debian packages the tests need (real OpenLDAP slapd, a real
# Samba AD DC, Chromium for the end-to-end tests, openssl for certificates),
# and makes sure Debian's own slapd / Samba services are NOT running: the
# tests start their own instances, and the Samba AD DC test instance needs
# ports 389 and 636 on 127.0.0.1.
#
# Idempotent: installs only what is missing (one apt-get update, one
# apt-get install), then stops the services whether or not it installed
# anything. Works on a fresh Debian 12 machine or container without systemd.
#
# Usage: scripts/install-prereqs.sh   (as root; otherwise it prints the command and exits 1)
set -euo pipefail

PACKAGES=(
  slapd ldap-utils
  samba samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind
  chromium fonts-dejavu-core
  openssl procps
)
# Debian services that must not run during the tests (init script names).
SERVICES=(slapd samba-ad-dc smbd nmbd winbind samba)

log() { printf 'install-prereqs: %s\n' "$*"; }

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [ "$(id -u)" -ne 0 ]; then
  if [ "${#missing[@]}" -gt 0 ]; then
    log "missing Debian packages: ${missing[*]}"
    log "run as root:  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
    log "(or: sudo $0)"
    exit 1
  fi
  log "all packages present (${PACKAGES[*]}); not root, so Debian's slapd/samba services were not checked"
  exit 0
fi

# --- install ------------------------------------------------------------------
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # slapd: do not create Debian's default database (the tests make their own).
  if command -v debconf-set-selections >/dev/null 2>&1; then
    echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
  fi
  # Keep maintainer scripts from starting daemons (invoke-rc.d honours policy-rc.d).
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# added by provision-desk scripts/install-prereqs.sh during apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  cleanup_policy() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
  trap cleanup_policy EXIT
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
  cleanup_policy
  trap - EXIT
  still=()
  for p in "${missing[@]}"; do is_installed "$p" || still+=("$p"); done
  if [ "${#still[@]}" -gt 0 ]; then
    log "still missing after apt-get install: ${still[*]}"
    exit 1
  fi
else
  log "all packages already installed"
fi

# --- make sure Debian's own services are stopped and stay stopped --------------
systemd_running=0
[ -d /run/systemd/system ] && systemd_running=1

for s in "${SERVICES[@]}"; do
  if [ "$systemd_running" = 1 ] && command -v systemctl >/dev/null 2>&1; then
    if systemctl list-unit-files "$s.service" >/dev/null 2>&1; then
      systemctl disable --now "$s.service" >/dev/null 2>&1 || true
    fi
  fi
  if [ -x "/etc/init.d/$s" ]; then
    if command -v service >/dev/null 2>&1; then
      service "$s" stop >/dev/null 2>&1 || true
    else
      "/etc/init.d/$s" stop >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
      update-rc.d "$s" disable >/dev/null 2>&1 || true
    fi
  fi
done

# Kill by Debian's pid files whatever is left (service scripts can fail
# without systemd). Only these pid files: never the test instances, which
# live under /tmp/provision-desk-*.
kill_pidfile() {
  local file=$1 exe=$2 pid
  [ -f "$file" ] || return 0
  pid=$(tr -dc '0-9' <"$file" | head -c 10)
  [ -n "$pid" ] || return 0
  if [ -d "/proc/$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ]; then
    log "stopping $exe (pid $pid from $file)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ]; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
}
kill_pidfile /run/slapd/slapd.pid /usr/sbin/slapd
kill_pidfile /var/run/slapd/slapd.pid /usr/sbin/slapd
for d in /run/samba /var/run/samba; do
  kill_pidfile "$d/samba.pid" /usr/sbin/samba
  kill_pidfile "$d/smbd.pid" /usr/sbin/smbd
  kill_pidfile "$d/nmbd.pid" /usr/sbin/nmbd
  kill_pidfile "$d/winbindd.pid" /usr/sbin/winbindd
done

# Report anything still holding the LDAP ports that is not a test instance.
busy=0
for port in 389 636; do
  hex=$(printf '%04X' "$port")
  if awk -v h=":$hex" 'NR>1 && $4=="0A" && substr($2, length($2)-4)==h {f=1} END {exit !f}' /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
    log "warning: something listens on port $port (a running test Samba DC is fine; Debian's services are not)"
    busy=1
  fi
done

log "ready: $(slapd -VV 2>&1 | head -n1 | sed 's/^@(#) \$//; s/\$$//' | tr -s ' ' || true)"
log "ready: samba $(samba -V 2>/dev/null || echo '?'), $(openssl version 2>/dev/null || echo 'openssl ?')"
exit 0
