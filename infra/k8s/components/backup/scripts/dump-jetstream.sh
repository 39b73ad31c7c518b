#!/bin/sh
# Snapshots the JOBS stream (the system of record) and its dead-letter stream with the
# nats CLI, then packs both into one tarball. `nats stream backup` reads a consistent
# snapshot from the stream leader while the stream keeps taking writes.
set -eu
: "${NATS_URL:?NATS_URL is required but not set}"
STREAM=${JOBS_STREAM:-JOBS}
rm -rf /backup/streams && mkdir -p /backup/streams
for s in "$STREAM" "${STREAM}_DEADLETTERS"; do
  nats --server "$NATS_URL" stream backup "$s" "/backup/streams/$s"
done
tar -czf /backup/jetstream.tar.gz -C /backup streams
rm -rf /backup/streams
ls -l /backup/jetstream.tar.gz
