#!/bin/sh
# ensure-debian-package.sh FILE PACKAGE: installs Debian's PACKAGE (as root) unless FILE exists.
# Test suites of several packages run at once and may all find it missing: flock makes them take
# turns on apt, and each looks again once it holds the lock (the one before may have installed it).
set -e
file=$1
package=$2
[ -e "$file" ] && exit 0
exec flock /tmp/tau-sim-apt.lock sh -c '[ -e "$1" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }' sh "$file" "$package"
