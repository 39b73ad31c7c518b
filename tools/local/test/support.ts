// Shared pieces of the end-to-end tests: the pipeline of src/pipeline-kit.ts on the stack's
// environment, clip generation, and readers for S3 and SQS.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { createS3, createSqs, getBytes } from "@hfp/aws";
import { stackEnv, stackStateDir } from "@hfp/testkit";
import { NotificationsReader, startPipeline as startKitPipeline, type Pipeline } from "../src/pipeline-kit.ts";
import type { StartOptions } from "../src/services.ts";

export {
  extractorJobDirs,
  framesOnDisk,
  getJob,
  history,
  upload,
  until,
  waitDone,
  type JobView,
  type Pipeline,
} from "../src/pipeline-kit.ts";

export const env = stackEnv();
for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]) process.env[k] ??= env[k];
const aws = { region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT, sqsEndpoint: env.SQS_ENDPOINT };
export const s3 = createS3(aws);
export const sqs = createSqs(aws);

/** Starts the services on shifted ports (so a running `npm start` is not disturbed). */
export const startPipeline = (extraEnv: StartOptions["extraEnv"] = {}): Promise<Pipeline> =>
  startKitPipeline(env, join(stackStateDir, "logs", "e2e"), extraEnv);

export const work = mkdtempSync(join(tmpdir(), "hfp-e2e-"));

/** ffmpeg with an argument array; returns the output path. */
export function ffmpeg(args: string[], out: string): string {
  execFileSync(process.env.FFMPEG_PATH ?? "ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, out]);
  return out;
}

export function h264Clip(name: string, seconds: number, size = "320x240", extra: string[] = []): string {
  return ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${size}:rate=25:duration=${seconds}`,
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      ...extra,
    ],
    join(work, name),
  );
}

export function writeFile(name: string, content: string | Buffer): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

export async function zipEntries(bucket: string, key: string): Promise<Record<string, Uint8Array>> {
  return unzipSync(new Uint8Array(await getBytes(s3, bucket, key)));
}

/** Facts of an image or video file by ffprobe. */
export function probe(path: string): { codec: string; width: number; height: number } {
  const out = execFileSync(process.env.FFPROBE_PATH ?? "ffprobe", ["-v", "error", "-show_streams", "-of", "json", path]);
  const s = (JSON.parse(out.toString()) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0]!;
  return { codec: s.codec_name, width: s.width, height: s.height };
}

export function probeBytes(name: string, bytes: Uint8Array): { codec: string; width: number; height: number } {
  return probe(writeFile(name, Buffer.from(bytes)));
}

/** The notifications of the shared queue, by job id (the e2e files run one at a time). */
export class Notifications extends NotificationsReader {
  constructor() {
    super(sqs, env.SQS_NOTIFICATIONS_QUEUE!);
  }
}
