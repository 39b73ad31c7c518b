#!/bin/sh
# Uploads one backup file to S3 and keeps 7 daily, 4 weekly and 12 monthly copies.
#   backup-upload.sh <file> <kind>      kind: mongo | jetstream
# Layout: s3://$BACKUP_BUCKET/<kind>/{daily,weekly,monthly}/<YYYY-MM-DD>.<ext>
# A Sunday's backup is also the weekly one, the 1st of a month's also the monthly one.
# Pruning runs only after the new copy is uploaded (set -e), so a failed run never
# leaves fewer backups than before. BACKUP_DATE (YYYY-MM-DD) overrides today (UTC).
set -eu
file=$1
kind=$2
: "${BACKUP_BUCKET:?BACKUP_BUCKET is required but not set}"
KEEP_DAILY=${KEEP_DAILY:-7}
KEEP_WEEKLY=${KEEP_WEEKLY:-4}
KEEP_MONTHLY=${KEEP_MONTHLY:-12}

[ -s "$file" ] || { echo "backup file $file is missing or empty" >&2; exit 1; }
today=${BACKUP_DATE:-$(date -u +%Y-%m-%d)}
weekday=$(date -u -d "$today" +%u) # 7 = Sunday
day=${today##*-}
base=$(basename "$file")
ext=${base#*.}
daily="$kind/daily/$today.$ext"

echo "uploading $file to s3://$BACKUP_BUCKET/$daily"
aws s3 cp --only-show-errors "$file" "s3://$BACKUP_BUCKET/$daily"
if [ "$weekday" = 7 ]; then
  aws s3 cp --only-show-errors "s3://$BACKUP_BUCKET/$daily" "s3://$BACKUP_BUCKET/$kind/weekly/$today.$ext"
fi
if [ "$day" = 01 ]; then
  aws s3 cp --only-show-errors "s3://$BACKUP_BUCKET/$daily" "s3://$BACKUP_BUCKET/$kind/monthly/$today.$ext"
fi

# Keys sort by date, so everything after the newest N goes.
prune() {
  tier=$1
  keep=$2
  aws s3api list-objects-v2 --bucket "$BACKUP_BUCKET" --prefix "$kind/$tier/" \
    --query 'Contents[].Key' --output text |
    tr '\t' '\n' | grep -v -e '^None$' -e '^$' | sort -r | tail -n +"$((keep + 1))" |
    while read -r key; do
      echo "pruning s3://$BACKUP_BUCKET/$key"
      aws s3 rm --only-show-errors "s3://$BACKUP_BUCKET/$key"
    done
}
prune daily "$KEEP_DAILY"
prune weekly "$KEEP_WEEKLY"
prune monthly "$KEEP_MONTHLY"
echo "backup $daily done"
