#!/bin/sh
# Installs the Debian packages whose commands are missing, and nothing when all are there.
# usage: need_debian_packages.sh COMMAND:PACKAGE ...   e.g. cmake:cmake mpirun:openmpi-bin
set -eu
missing=
for pair in "$@"; do
    command -v "${pair%%:*}" > /dev/null 2>&1 || missing="$missing ${pair#*:}"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null 2>&1; then
    echo "missing:$missing; install these packages (Debian/Ubuntu: apt-get install$missing)" >&2
    exit 1
fi
echo "installing Debian packages:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$missing > /dev/null
