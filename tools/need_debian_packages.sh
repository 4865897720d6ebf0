#!/bin/sh
# Installs the Debian packages whose commands are missing, and nothing when all are there.
# usage: need_debian_packages.sh COMMAND:PACKAGE ...   e.g. cmake:cmake mpirun:openmpi-bin
# A COMMAND with a slash is a file that must exist instead (a library's header:
# /usr/include/xgboost/c_api.h:libxgboost-dev).
set -eu
missing=
for pair in "$@"; do
    case "${pair%%:*}" in
        */*) [ -e "${pair%%:*}" ] || missing="$missing ${pair#*:}" ;;
        *) command -v "${pair%%:*}" > /dev/null 2>&1 || missing="$missing ${pair#*:}" ;;
    esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null 2>&1; then
    echo "missing:$missing; install these packages (Debian/Ubuntu: apt-get install$missing)" >&2
    exit 1
fi
echo "installing Debian packages:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$missing > /dev/null
