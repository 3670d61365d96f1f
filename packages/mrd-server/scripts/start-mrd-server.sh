#!/bin/bash

# Starts mrd-server in the background, as the reference start-fire-python-server.sh:
# verbose, CRLF log line endings, listening on all interfaces, port 9002.
#
# First argument (optional) is the path to a log file.  Without it, logging goes
# to stdout only.

# Keep temporary files in the folder shared with the host, as the reference does.
export TMPDIR=/tmp/share

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MRD_SERVER="${MRD_SERVER:-node ${SCRIPT_DIR}/../dist/cli.js}"

if [ $# -eq 1 ]; then
  LOG_FILE=${1}
  ${MRD_SERVER} -v -r -H=0.0.0.0 -p=9002 -l=${LOG_FILE} &
else
  ${MRD_SERVER} -v -r -H=0.0.0.0 -p=9002 &
fi
