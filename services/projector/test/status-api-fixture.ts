// What the status API's integration tests share: a database of their own on the local
// MongoDB-compatible server, a test stream on NATS, and the API on a fresh HTTP app whose
// dependencies each test completes (S3 reads, cancel, the change feed).
import type { FastifyInstance } from "fastify";
import type { Db, MongoClient } from "mongodb";
import { createVerifier } from "@hfp/auth";
import { buildHttp, createMetrics } from "@hfp/http";
import { connectNats, readJobRecords, type NatsConnection } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { connectMongo } from "@hfp/mongo";
import { testStream, type TestStream } from "@hfp/service";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { statusApiDocument } from "../src/api/info.ts";
import { registerStatusApi, type ApiDeps } from "../src/api/routes.ts";
import { ensureStoreIndexes, jobStore, type JobStore } from "../src/store.ts";

/** The HS256 secret the fixture's API verifies tokens with (mint them with `mintDevToken`). */
export const TEST_SECRET = "projector-test-secret-of-at-least-32-bytes";

export interface StatusApiFixture extends TestStream {
  client: MongoClient;
  db: Db;
  store: JobStore;
  nc: NatsConnection;
  app: FastifyInstance;
  /** Closes the app, drops the database, deletes the stream, drains NATS. */
  close(): Promise<void>;
}

const unread = () => Promise.reject(new Error("not read by this test"));

/**
 * `name` names the connections and the database; `deps` returns what this test's API needs
 * beyond the store, the verifier and the stream's history (which are the fixture's), given
 * the fixture's connections.
 */
export async function statusApiFixture(
  name: string,
  deps: (f: Omit<StatusApiFixture, "app" | "close">) => Partial<ApiDeps> = () => ({}),
): Promise<StatusApiFixture> {
  const env = stackEnv();
  const client = await connectMongo(env.MONGO_URL!, { appName: name });
  const db = client.db(uniqueName(name).replace(/-/g, "_"));
  const store = jobStore(db);
  await ensureStoreIndexes(db, store);
  const nc = await connectNats({ url: env.NATS_URL!, name });
  const stream = await testStream(nc);
  const parts = { ...stream, client, db, store, nc };
  const app = buildHttp({ service: "projector", logger: createLogger(name, "silent"), metrics: createMetrics("projector"), readiness: {} });
  registerStatusApi(app, {
    store,
    verify: createVerifier({ secret: TEST_SECRET }),
    history: (jobId) => readJobRecords(nc, stream.stream, jobId, stream.prefix),
    presign: unread,
    objects: { bytes: unread, stream: unread },
    openapi: statusApiDocument(),
    ...deps(parts),
  });
  await app.ready();
  return {
    ...parts,
    app,
    async close() {
      await app.close();
      await db.dropDatabase();
      await client.close();
      await stream.deleteStream();
      await nc.drain();
    },
  };
}
