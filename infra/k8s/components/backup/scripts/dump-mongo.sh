#!/bin/sh
# Dumps the read-model database as one gzipped archive (mongodump --archive --gzip).
# --readPreference=secondary keeps the load off the primary of the replica set.
set -eu
: "${MONGO_URL:?MONGO_URL is required but not set}"
: "${MONGO_DB:?MONGO_DB is required but not set}"
mongodump --uri="$MONGO_URL" --db="$MONGO_DB" --readPreference=secondary \
  --archive=/backup/hfp.archive.gz --gzip
ls -l /backup/hfp.archive.gz
