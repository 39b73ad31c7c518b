// The backup upload script keeps 7 daily, 4 weekly and 12 monthly copies. It runs here
// against a stand-in `aws` command that keeps "S3" in a directory, over a simulated
// year and a half of nightly runs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INFRA, run } from "./lib/tools.ts";

const SCRIPT = join(INFRA, "k8s/components/backup/scripts/backup-upload.sh");

// Just the calls the script makes: s3 cp (local→s3, s3→s3), s3 rm, s3api list-objects-v2.
const FAKE_AWS = `#!/usr/bin/env bash
set -euo pipefail
root=$FAKE_S3
echo "$*" >> "$root/.calls"
path() { local u=\${1#s3://}; echo "$root/$u"; }
case "$1 $2" in
  "s3 cp")
    shift 2; [ "$1" = --only-show-errors ] && shift
    src=$1 dst=$2
    [[ $src == s3://* ]] && src=$(path "$src")
    [ -f "$src" ] || { echo "no such object $1" >&2; exit 1; }
    mkdir -p "$(dirname "$(path "$dst")")"; cp "$src" "$(path "$dst")" ;;
  "s3 rm")
    shift 2; [ "$1" = --only-show-errors ] && shift
    rm "$(path "$1")" ;;
  "s3api list-objects-v2")
    shift 2; bucket="" prefix=""
    while [ $# -gt 0 ]; do case $1 in --bucket) bucket=$2; shift 2;; --prefix) prefix=$2; shift 2;; *) shift;; esac; done
    keys=$(cd "$root/$bucket" 2>/dev/null && find . -type f -path "./$prefix*" | sed 's#^\\./##' | sort || true)
    if [ -z "$keys" ]; then echo None; else echo "$keys" | paste -sd '\\t' -; fi ;;
  *) echo "unexpected aws call: $*" >&2; exit 2 ;;
esac
`;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "hfp-backup-"));
  const bin = join(dir, "bin");
  const s3 = join(dir, "s3");
  mkdirSync(bin);
  mkdirSync(join(s3, "hfp-backups"), { recursive: true });
  writeFileSync(join(bin, "aws"), FAKE_AWS);
  chmodSync(join(bin, "aws"), 0o755);
  const file = join(dir, "hfp.archive.gz");
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_S3: s3, BACKUP_BUCKET: "hfp-backups" };
  const backup = (date: string, content = `dump of ${date}`) => {
    writeFileSync(file, content);
    return run("sh", [SCRIPT, file, "mongo"], { env: { ...env, BACKUP_DATE: date } });
  };
  const keys = (tier: string) => {
    const d = join(s3, "hfp-backups", "mongo", tier);
    return existsSync(d) ? readdirSync(d).sort() : [];
  };
  return { dir, s3, backup, keys, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const iso = (d: Date) => d.toISOString().slice(0, 10);
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); iso(d) <= to; d.setUTCDate(d.getUTCDate() + 1)) out.push(iso(d));
  return out;
}

test("over 16 months of nightly runs it keeps the newest 7 daily, 4 weekly (Sundays) and 12 monthly (1sts)", () => {
  const t = setup();
  try {
    // Every night for the last six weeks; before that only the 1st of each month
    // matters to the monthly tier, so only those nights are simulated.
    const recent = days("2026-10-01", "2026-11-10");
    const firsts = days("2025-07-01", "2026-09-30").filter((d) => d.endsWith("-01"));
    const all = [...firsts, ...recent];
    for (const date of all) {
      const r = t.backup(date);
      assert.is(r.status, 0, `${date}: ${r.stderr}`);
    }
    const ext = (ds: string[]) => ds.map((d) => `${d}.archive.gz`);
    assert.equal(t.keys("daily"), ext(all.slice(-7)));
    const sundays = all.filter((d) => new Date(`${d}T00:00:00Z`).getUTCDay() === 0);
    assert.equal(t.keys("weekly"), ext(sundays.slice(-4)));
    assert.equal(t.keys("monthly"), ext(all.filter((d) => d.endsWith("-01")).slice(-12)));
    assert.equal(t.keys("monthly")[0], "2025-12-01.archive.gz");
    // The copies hold that night's dump, byte for byte.
    assert.is(readFileSync(join(t.s3, "hfp-backups/mongo/weekly/2026-11-08.archive.gz"), "utf8"), "dump of 2026-11-08");
    assert.is(readFileSync(join(t.s3, "hfp-backups/mongo/monthly/2026-11-01.archive.gz"), "utf8"), "dump of 2026-11-01");
  } finally {
    t.cleanup();
  }
});

test("a failed dump uploads nothing and prunes nothing", () => {
  const t = setup();
  try {
    for (const date of days("2026-11-01", "2026-11-09")) assert.is(t.backup(date).status, 0);
    const before = t.keys("daily");
    const r = t.backup("2026-11-10", "");
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /missing or empty/);
    assert.equal(t.keys("daily"), before);
  } finally {
    t.cleanup();
  }
});

test("without BACKUP_BUCKET the script refuses to run", () => {
  const r = run("sh", [SCRIPT, "/dev/null", "mongo"], { env: { ...process.env, BACKUP_BUCKET: "" } });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /BACKUP_BUCKET/);
});

test.run();
