import { MongoClient, type Db, type IndexDescription } from "mongodb";

export type { Db };

/** A client that fails fast when the server is away, instead of hanging a request for 30 s. */
export async function connectMongo(url: string, opts: { appName: string }): Promise<MongoClient> {
  const client = new MongoClient(url, {
    appName: opts.appName,
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    maxPoolSize: 20,
  });
  await client.connect();
  return client;
}

export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}

/** Indexes of the `jobs` read model: "my videos, newest first" and "by status". */
export const JOB_INDEXES: IndexDescription[] = [
  { key: { owner: 1, createdAt: -1, _id: -1 }, name: "owner_createdAt" },
  { key: { owner: 1, status: 1, createdAt: -1, _id: -1 }, name: "owner_status_createdAt" },
  { key: { status: 1, updatedAt: -1 }, name: "status_updatedAt" },
];

/** Creates missing indexes; existing ones with the same name are left alone. Returns the names created. */
export async function ensureIndexes(db: Db, collection: string, indexes: IndexDescription[]): Promise<string[]> {
  const existing = new Set(
    (
      await db
        .collection(collection)
        .listIndexes()
        .toArray()
        .catch(() => [])
    ).map((i) => String(i.name)),
  );
  const missing = indexes.filter((i) => !existing.has(String(i.name)));
  if (missing.length) await db.collection(collection).createIndexes(missing);
  return missing.map((i) => String(i.name));
}
