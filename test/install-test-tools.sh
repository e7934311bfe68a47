#!/usr/bin/env bash
# Installs the Debian packages the test suites drive for real: socat (pseudo-terminal
# pairs for the serial tests), mosquitto (a second, independent MQTT broker), umockdev
# (umockdev-run replays USB devices to libusb for the U.are.U driver tests) and systemd
# (systemd-analyze, systemd-tmpfiles and systemd-notify check the service units offline).
# Idempotent; without root or apt it says which suites will be skipped.
set -uo pipefail
need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v umockdev-run >/dev/null 2>&1 || need+=(umockdev)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test tools from apt: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    exit 0
  fi
  echo "warning: apt-get could not install ${need[*]}; the suites that need them are skipped" >&2
else
  echo "note: ${need[*]} missing and not installable here (needs root and apt); the suites that need them are skipped" >&2
fi
exit 0
