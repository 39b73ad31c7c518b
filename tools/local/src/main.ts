#!/usr/bin/env node
// The main job: the five services against the local stack, one gateway URL, a video
// processed end to end, and everything kept running until Ctrl-C.
//   tsx tools/local/src/main.ts [video-file] [--exit] [--services-only]
import { join, resolve } from "node:path";
import { mintDevToken } from "@hfp/auth";
import { repoRoot, stackEnv, stackStateDir } from "@hfp/testkit";
import { uploadAndFollow } from "./demo.ts";
import { startGateway } from "./gateway.ts";
import { makeSampleVideo } from "./sample.ts";
import { startServices } from "./services.ts";

const args = process.argv.slice(2);
const exitWhenDone = args.includes("--exit");
const servicesOnly = args.includes("--services-only");
const fileArg = args.find((a) => !a.startsWith("--"));
const say = (line: string) => process.stdout.write(`${line}\n`);

const env = stackEnv();
const logDir = join(stackStateDir, "logs");
say(`starting the five services (logs in ${logDir}) ...`);
const services = await startServices({ root: repoRoot, env, logDir });
const gateway = await startGateway(
  { ingest: services.urls["ingest-bridge"], status: services.urls.projector },
  Number(process.env.HFP_GATEWAY_PORT ?? 8000 + Number(process.env.HFP_PORT_OFFSET ?? 0)),
);
say(`all services ready; API base URL: ${gateway.url}`);

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say("stopping services ...");
    gateway.server.close();
    const codes = await services.stop();
    say(`stopped: ${Object.entries(codes).map(([s, c]) => `${s}=${c}`).join(" ")}`);
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

const user = process.env.HFP_DEMO_USER ?? "demo-user";
const token = await mintDevToken(env.AUTH_JWT_SECRET!, user, { ttlSeconds: 12 * 3600 });
say(`TOKEN=${token}`);
say(`  (a local development token for ${user}, valid 12 h; mint others with: npm run hfp -- token <user>)`);

if (!servicesOnly) {
  const file = fileArg ? resolve(fileArg) : makeSampleVideo(join(stackStateDir, "samples", "sample-10s.mp4"));
  say(`uploading ${file} as ${user} ...`);
  try {
    const result = await uploadAndFollow({
      baseUrl: gateway.url,
      token,
      file,
      onStatus: (status, ms) => say(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${status}`),
    });
    const doc = result.doc as { frameCount?: number; result?: { bucket: string; key: string; size: number }; error?: { code: string; message: string } };
    say(`job ${result.jobId}: ${result.status}`);
    if (result.status === "completed" && doc.result) {
      say(`  frames: ${doc.frameCount}`);
      say(`  zip:    s3://${doc.result.bucket}/${doc.result.key} (${doc.result.size} bytes)`);
    } else if (doc.error) {
      say(`  error:  ${doc.error.code}: ${doc.error.message}`);
    }
    say(`  status:   curl -s -H "Authorization: Bearer $TOKEN" ${gateway.url}/videos/${result.jobId}`);
    say(`  events:   curl -s -H "Authorization: Bearer $TOKEN" ${gateway.url}/videos/${result.jobId}/events`);
    say(`  download: curl -L -H "Authorization: Bearer $TOKEN" -o ${result.jobId}.zip ${gateway.url}/videos/${result.jobId}/download`);
    if (exitWhenDone) await shutdown(result.status === "completed" ? 0 : 1);
  } catch (err) {
    say(`error: ${(err as Error).message}`);
    if (exitWhenDone) await shutdown(1);
  }
}
say(`\nAPI base URL: ${gateway.url}   — Ctrl-C stops the services.`);
