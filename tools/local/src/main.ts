#!/usr/bin/env node
// The main job: the five services against the local stack, one gateway URL, a video
// processed end to end, and everything kept running until Ctrl-C.
//   tsx tools/local/src/main.ts [video-file] [--exit] [--services-only]
// A start-up failure prints what failed and where its log is, stops whatever was started,
// and exits 1; nothing is left running.
import type { Server } from "node:http";
import { join, resolve } from "node:path";
import { mintDevToken } from "@hfp/auth";
import { repoRoot, stackEnv, stackStateDir } from "@hfp/testkit";
import { uploadAndFollow } from "./demo.ts";
import { startGateway } from "./gateway.ts";
import { freeOffset, takenPorts, unreachableServers, type PortClaim } from "./ports.ts";
import { failureReport, pasteBlock, startFailureReport } from "./report.ts";
import { makeSampleVideo } from "./sample.ts";
import { startLocalWeb, webBlock, type LocalWeb } from "./web.ts";
import {
  PortsInUseError,
  SERVICES,
  ServiceStartError,
  servicePorts,
  StartAbortedError,
  startServices,
  type RunningServices,
} from "./services.ts";

// The runner talks to moto's Cognito itself now; the services get the same setting from services.ts.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const args = process.argv.slice(2);
const exitWhenDone = args.includes("--exit");
const servicesOnly = args.includes("--services-only");
const fileArg = args.find((a) => !a.startsWith("--"));
const command = servicesOnly ? "npm run services" : "npm start";
const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (lines: string[]) => process.stderr.write(`${lines.join("\n")}\n`);
const TOKEN_TTL_HOURS = 12;

/** What this process started, so every exit path can stop it. */
const started: { starting?: Promise<unknown>; services?: RunningServices; gateway?: Server; web?: LocalWeb } = {};
const startup = new AbortController();
let stopping: Promise<never> | undefined;

function shutdown(code: number): Promise<never> {
  stopping ??= (async () => {
    if (started.starting && !started.services) {
      // startServices stops what it launched when aborted; wait for that before exiting.
      startup.abort();
      const outcome = await started.starting.then(
        () => "up",
        (err: unknown) => (err instanceof StartAbortedError ? "aborted" : "failed"),
      );
      if (outcome === "aborted") complain(["start-up interrupted; every service started was stopped."]);
    }
    if (started.services) {
      say("stopping services ...");
      started.gateway?.close();
      const codes = await started.services.stop();
      say(
        `stopped: ${Object.entries(codes)
          .map(([s, c]) => `${s}=${c}`)
          .join(" ")}`,
      );
    }
    started.web?.close();
    process.exit(code);
  })();
  return stopping;
}
// Before start-up, an interrupt aborts it (startServices stops what it launched); after, it stops all.
process.on("SIGINT", () => void shutdown(started.services ? 0 : 130));
process.on("SIGTERM", () => void shutdown(started.services ? 0 : 143));
// The services are not in the terminal's process group: closing the terminal must stop them too.
process.on("SIGHUP", () => void shutdown(started.services ? 0 : 129));

function integerVar(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > 65535)
    throw new UsageError(`${name} must be a whole number from ${min} to 65535, not "${raw}"`);
  return n;
}

class UsageError extends Error {}

/** Every port this run needs, each with the variable that moves it. */
function portClaims(offset: number, gatewayPort: number | undefined): PortClaim[] {
  const services = servicePorts(offset);
  return [
    { owner: "the gateway", port: gatewayPort ?? 8000 + offset, variable: "HFP_GATEWAY_PORT" },
    ...SERVICES.map((s) => ({ owner: s, port: services[s], variable: "HFP_PORT_OFFSET" })),
  ];
}

async function run(): Promise<void> {
  const env = stackEnv();
  const down = await unreachableServers(env);
  if (down.length) {
    throw new UsageError(
      `the local stack is not running (nothing answers at ${down.join(", ")}); ` +
        "start it with `npm run stack up`, or use `npm start`, which starts it",
    );
  }
  const offset = integerVar("HFP_PORT_OFFSET", 0, -65535);
  const gatewayPort = process.env.HFP_GATEWAY_PORT ? integerVar("HFP_GATEWAY_PORT", 8000, 0) : undefined;
  const claims = portClaims(offset, gatewayPort);
  const outside = claims.filter((c) => (c.port < 1 && !(c.port === 0 && c.variable === "HFP_GATEWAY_PORT")) || c.port > 65535);
  if (outside.length) throw new UsageError(`HFP_PORT_OFFSET=${offset} puts ${outside.map((c) => `${c.owner} at ${c.port}`).join(", ")}`);
  const taken = await takenPorts(claims);
  if (taken.length) throw new PortsInUseError(taken);

  const logDir = join(stackStateDir, "logs");
  // Before the services: the two that verify tokens are told the pool's key set.
  const web = await startLocalWeb(env, logDir, say);
  started.web = web;
  if (web.warnings.length) complain(web.warnings.map((w) => `warning: ${w}`));
  say(`starting the five services (logs in ${logDir}) ...`);
  const starting = startServices({
    root: repoRoot,
    env,
    logDir,
    ports: servicePorts(offset),
    extraEnv: { "ingest-bridge": web.authEnv, projector: web.authEnv },
    signal: startup.signal,
    ownProcessGroup: true,
    onUnexpectedExit: (failure) => {
      if (stopping) return;
      complain(["", ...failureReport(failure, "running"), "stopping the other services."]);
      void shutdown(1);
    },
  });
  started.starting = starting;
  const services = await starting;
  started.services = services;
  const targets = { ingest: services.urls["ingest-bridge"], status: services.urls.projector };
  const gateway = await startGateway(targets, claims[0]!.port, "127.0.0.1", web.handler).catch((err: NodeJS.ErrnoException) => {
    // Taken between the check and now: the same report as before start-up.
    throw err.code === "EADDRINUSE" ? new PortsInUseError([claims[0]!]) : err;
  });
  started.gateway = gateway.server;
  say(`all services ready; API base URL: ${gateway.url}${web.handler ? `; the web page: ${gateway.url}/` : ""}`);

  const user = process.env.HFP_DEMO_USER ?? "demo-user";
  const token = await mintDevToken(env.AUTH_JWT_SECRET!, user, { ttlSeconds: TOKEN_TTL_HOURS * 3600 });
  const video = fileArg ? resolve(fileArg) : makeSampleVideo(join(stackStateDir, "samples", "sample-10s.mp4"));
  const paste = (jobId?: string) =>
    pasteBlock({
      baseUrl: gateway.url,
      token,
      user,
      ttlHours: TOKEN_TTL_HOURS,
      jobId,
      video,
      root: repoRoot.replace(/\/$/, ""),
      stackDir: stackStateDir === join(repoRoot, ".stack") ? undefined : stackStateDir,
    });

  let jobId: string | undefined;
  if (!servicesOnly) {
    say(`uploading ${video} as ${user} ...`);
    try {
      const result = await uploadAndFollow({
        baseUrl: gateway.url,
        token,
        file: video,
        onStatus: (status, ms) => say(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${status}`),
      });
      jobId = result.jobId;
      const doc = result.doc as {
        frameCount?: number;
        result?: { bucket: string; key: string; size: number };
        error?: { code: string; message: string };
      };
      say(`job ${result.jobId}: ${result.status}`);
      if (result.status === "completed" && doc.result) {
        say(`  frames: ${doc.frameCount}`);
        say(`  zip:    s3://${doc.result.bucket}/${doc.result.key} (${doc.result.size} bytes)`);
      } else if (doc.error) {
        say(`  error:  ${doc.error.code}: ${doc.error.message}`);
      }
      if (exitWhenDone) await shutdown(result.status === "completed" ? 0 : 1);
    } catch (err) {
      say(`error: ${(err as Error).message}`);
      if (exitWhenDone) await shutdown(1);
    }
  }
  say("");
  for (const line of paste(jobId)) say(line);
  say("");
  const stackDir = stackStateDir === join(repoRoot, ".stack") ? undefined : stackStateDir;
  for (const line of webBlock({ baseUrl: gateway.url, web, root: repoRoot.replace(/\/$/, ""), stackDir })) say(line);
  say("");
  say(`The services keep running; API base URL: ${gateway.url}. Ctrl-C stops them.`);
}

try {
  await run();
} catch (err) {
  if (!stopping) {
    if (err instanceof StartAbortedError) {
      complain(["start-up interrupted; every service started was stopped."]);
    } else if (err instanceof PortsInUseError) {
      // An explicit HFP_GATEWAY_PORT does not move with the offset, so a taken one finds no free offset.
      const gatewayPort = process.env.HFP_GATEWAY_PORT ? Number(process.env.HFP_GATEWAY_PORT) : undefined;
      const free = await freeOffset((o) => portClaims(o, gatewayPort), Number(process.env.HFP_PORT_OFFSET ?? 0));
      complain(startFailureReport(err, command, free)!);
    } else if (err instanceof ServiceStartError) {
      complain(startFailureReport(err, command)!);
    } else if (err instanceof UsageError || (err as Error).message.includes("stack is not up")) {
      complain([`cannot start: ${(err as Error).message}`]);
    } else {
      complain([`cannot start: ${(err as Error).stack ?? String(err)}`]);
    }
    await shutdown(err instanceof StartAbortedError ? 130 : 1);
  }
}
