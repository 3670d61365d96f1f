#!/bin/bash

# Copies user recon modules from the folder shared with the host and starts mrd-server,
# as the reference sync-code-and-start-fire-python-server.sh: every file in
# /tmp/share/code/ is copied into the server's user-module folder
# (${MRD_MODULES_DIR:-/opt/code/mrd-tools/modules}), which is passed as --modules-dir, so
# modules edited on the host run without rebuilding anything.
#
# Arguments: [log file] port   (with one argument, it is the port)
#
# Do not use this in stable projects: overwriting modules with those in /tmp/share/code
# is rarely what you want there.

export TMPDIR=/tmp/share

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MRD_SERVER="${MRD_SERVER:-node ${SCRIPT_DIR}/../dist/cli.js}"
MODULES_DIR="${MRD_MODULES_DIR:-/opt/code/mrd-tools/modules}"

mkdir -p "${MODULES_DIR}"
cp -R -f /tmp/share/code/* "${MODULES_DIR}/"

if [ $# -eq 2 ]; then
  LOG_FILE=${1}
  ${MRD_SERVER} -v -r -H=0.0.0.0 -p=${2} --modules-dir "${MODULES_DIR}" -l=${LOG_FILE} &
else
  ${MRD_SERVER} -v -r -H=0.0.0.0 -p=${1} --modules-dir "${MODULES_DIR}" &
fi
