import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ensureIndexes } from "@hfp/mongo";
import { BSON, MongoBulkWriteError, type Db, type Document } from "mongodb";
import { CliError, type Context } from "./context.ts";

/**
 * A collection dump as Extended JSON lines, for where mongodump cannot run (the local
 * stack: the MongoDB tools are not available as a Go module to build them). Canonical
 * EJSON keeps every BSON type (int32 vs double vs int64, dates, binary), so a restore
 * writes back exactly what was read. A dump is two files:
 *   <collection>.ejson      one document per line, in _id order
 *   <collection>.meta.json  count, SHA-256 and size of the lines, the indexes; written
 *                           last, so its presence marks a complete dump
 * Like mongodump without --oplog, a dump of a collection being written is not a
 * point-in-time snapshot; for the read model that is fine, a rebuild settles it.
 */

export const BACKUP_FORMAT = "hfp-backup/1";

export interface IndexSpec {
  name: string;
  key: Document;
  unique?: boolean;
  sparse?: boolean;
  expireAfterSeconds?: number;
  partialFilterExpression?: Document;
}

export interface DumpMeta {
  format: typeof BACKUP_FORMAT;
  db: string;
  collection: string;
  count: number;
  bytes: number;
  sha256: string;
  indexes: IndexSpec[];
  dumpedAt: string;
}

export function dumpFiles(dir: string, collection: string): { data: string; meta: string } {
  return { data: join(dir, `${collection}.ejson`), meta: join(dir, `${collection}.meta.json`) };
}

const INDEX_OPTIONS = ["unique", "sparse", "expireAfterSeconds", "partialFilterExpression"] as const;

export async function dump(db: Db, collection: string, dir: string): Promise<DumpMeta> {
  const files = dumpFiles(dir, collection);
  if (existsSync(files.data) || existsSync(files.meta)) {
    throw new CliError("USAGE", `${dir} already holds a dump of ${collection}; choose an empty directory`);
  }
  mkdirSync(dir, { recursive: true });
  const indexes: IndexSpec[] = (await db.collection(collection).indexes()).map((ix) => {
    const spec: IndexSpec = { name: String(ix.name), key: ix.key as Document };
    for (const o of INDEX_OPTIONS) if (ix[o] !== undefined) Object.assign(spec, { [o]: ix[o] });
    return spec;
  });
  const hash = createHash("sha256");
  const out = createWriteStream(files.data, { flags: "wx" });
  let count = 0;
  let bytes = 0;
  // Numbers stay Int32/Double/Long objects, so the canonical form records their BSON type.
  const cursor = db.collection(collection).find({}, { sort: { _id: 1 }, promoteValues: false, promoteLongs: false, promoteBuffers: false });
  for await (const doc of cursor) {
    const line = `${BSON.EJSON.stringify(doc, { relaxed: false })}\n`;
    hash.update(line);
    bytes += Buffer.byteLength(line);
    count++;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  const meta: DumpMeta = {
    format: BACKUP_FORMAT,
    db: db.databaseName,
    collection,
    count,
    bytes,
    sha256: hash.digest("hex"),
    indexes,
    dumpedAt: new Date().toISOString(),
  };
  writeFileSync(files.meta, `${JSON.stringify(meta, null, 2)}\n`, { flag: "wx" });
  return meta;
}

function readMeta(dir: string, collection: string): DumpMeta {
  const { meta } = dumpFiles(dir, collection);
  if (!existsSync(meta)) throw new CliError("NOT_FOUND", `no complete dump of ${collection} in ${dir} (${meta} is missing)`);
  const parsed = JSON.parse(readFileSync(meta, "utf8")) as DumpMeta;
  if (parsed.format !== BACKUP_FORMAT)
    throw new CliError("BACKUP_INVALID", `${meta}: format ${String(parsed.format)}, expected ${BACKUP_FORMAT}`);
  return parsed;
}

async function* lines(path: string): AsyncGenerator<string> {
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) if (line) yield line;
}

/** Checks the lines against the meta file before anything is written: a truncated or altered dump is refused whole. */
async function verify(dir: string, meta: DumpMeta): Promise<void> {
  const { data } = dumpFiles(dir, meta.collection);
  if (!existsSync(data)) throw new CliError("BACKUP_INVALID", `${data} is missing`);
  const hash = createHash("sha256");
  let count = 0;
  for await (const line of lines(data)) {
    hash.update(`${line}\n`);
    count++;
  }
  const sha256 = hash.digest("hex");
  if (count !== meta.count || sha256 !== meta.sha256) {
    throw new CliError("BACKUP_INVALID", `${data}: ${count} documents, sha256 ${sha256}; the dump recorded ${meta.count}, ${meta.sha256}`);
  }
}

export interface RestoreResult {
  meta: DumpMeta;
  target: string;
  inserted: number;
  /** Documents whose _id the target already held: kept as they are, like mongorestore without --drop. */
  present: number;
  indexes: number;
}

const DUPLICATE_KEY = 11000;

/** Inserts a batch; a document whose _id the target already holds is kept and counted as present. */
async function insertBatch(db: Db, target: string, docs: Document[]): Promise<{ inserted: number; present: number }> {
  try {
    const r = await db.collection(target).insertMany(docs, { ordered: false });
    return { inserted: r.insertedCount, present: 0 };
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    const other = errors.find((e) => e.code !== DUPLICATE_KEY);
    if (other) throw new Error(`restore into ${target}: ${other.errmsg ?? other.code}`, { cause: err });
    return { inserted: err.insertedCount, present: errors.length };
  }
}

export async function restore(db: Db, dir: string, opts: { collection: string; into?: string; drop?: boolean }): Promise<RestoreResult> {
  const meta = readMeta(dir, opts.collection);
  await verify(dir, meta);
  const target = opts.into ?? meta.collection;
  if (opts.drop)
    await db
      .collection(target)
      .drop()
      .catch(() => undefined);
  const secondary = meta.indexes.filter((ix) => ix.name !== "_id_");
  // Only the missing ones, by name: FerretDB 1.24 drops the connection when one
  // createIndexes repeats several existing indexes.
  await ensureIndexes(db, target, secondary);
  let inserted = 0;
  let present = 0;
  let batch: Document[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const r = await insertBatch(db, target, batch);
    inserted += r.inserted;
    present += r.present;
    batch = [];
  };
  for await (const line of lines(dumpFiles(dir, meta.collection).data)) {
    batch.push(BSON.EJSON.parse(line, { relaxed: false }) as Document);
    if (batch.length >= 500) await flush();
  }
  await flush();
  return { meta, target, inserted, present, indexes: secondary.length };
}

export interface BackupArgs {
  action: "dump" | "restore";
  dir: string;
  collection: string;
  into?: string | undefined;
  drop: boolean;
}

/** `hfp backup dump|restore <dir> [--collection jobs] [--into <collection>] [--drop]`, its arguments already checked. */
export async function backupCommand(ctx: Context, args: BackupArgs, out: (s: string) => void): Promise<number> {
  const { action, dir, collection, drop } = args;
  const db = await ctx.db();
  if (action === "dump") {
    const meta = await dump(db, collection, dir);
    out(
      `dumped ${meta.count} documents of ${meta.db}.${meta.collection} (${meta.indexes.length} indexes) to ${dir}: ` +
        `${meta.bytes} bytes, sha256 ${meta.sha256}\n`,
    );
    return 0;
  }
  const r = await restore(db, dir, { collection, into: args.into, drop });
  out(
    `restored ${r.inserted} documents into ${db.databaseName}.${r.target} ` +
      `from a dump of ${r.meta.db}.${r.meta.collection} taken ${r.meta.dumpedAt} (${r.meta.count} in the dump, ` +
      `${r.present} already present and kept${drop ? ", collection dropped first" : ""}; ${r.indexes} indexes)\n`,
  );
  return 0;
}
