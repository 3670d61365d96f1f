#!/bin/bash

# Starts mrd-server in the background and saves all incoming data, as the reference
# start-fire-python-server-with-data-storage.sh: verbose, CRLF log line endings,
# listening on all interfaces, port 9002, incoming data saved to /tmp/share/saved_data.
#
# First argument (optional) is the path to a log file.  Without it, logging goes
# to stdout only.

export TMPDIR=/tmp/share

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MRD_SERVER="${MRD_SERVER:-node ${SCRIPT_DIR}/../dist/cli.js}"

if [ $# -eq 1 ]; then
  LOG_FILE=${1}
  ${MRD_SERVER} -v -r -H=0.0.0.0 -p=9002 -s -S /tmp/share/saved_data -l=${LOG_FILE} &
else
  ${MRD_SERVER} -v -r -H=0.0.0.0 -p=9002 -s -S /tmp/share/saved_data &
fi
