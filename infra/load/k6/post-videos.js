// k6 load test for POST /videos (multipart upload to ingest-bridge).
//
//   TOKEN=$(tools/hfp/bin/hfp token load-test) \
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e VIDEO=./sample.mp4 infra/load/k6/post-videos.js
//
// Run from the checkout: `hfp token` signs with the local stack's AUTH_JWT_SECRET, read
// from .stack/env (or $HFP_STACK_DIR/env) unless AUTH_JWT_SECRET is set.
// BASE_URL defaults to the local stack's ingest-bridge; point it at staging, never at
// production. VIDEO is a small clip (a few MB keeps the test about the service, not the
// network); make one with
//   ffmpeg -f lavfi -i testsrc=duration=10:size=640x360:rate=25 -pix_fmt yuv420p sample.mp4
// The arrival rate ramps to RATE uploads per second, holds, and ramps down; the
// thresholds fail the run when more than 1% of uploads fail or p95 exceeds 5 s.
// All uploads share one token, and the bridge limits each caller (by default 60 upload
// starts a minute, 4 at a time; docs/api.md "Limits"): run it against a bridge started with
// UPLOAD_RATE_PER_MINUTE, UPLOAD_RATE_BURST and UPLOAD_MAX_IN_FLIGHT above RATE, or it
// measures the limiter's 429s.
import http from "k6/http";
import { check } from "k6";
import { Counter } from "k6/metrics";

const BASE_URL = __ENV.BASE_URL || "http://127.0.0.1:8080";
const TOKEN = __ENV.TOKEN || "";
const RATE = Number(__ENV.RATE || 5);
const HOLD = __ENV.HOLD || "3m";
const video = open(__ENV.VIDEO || "./sample.mp4", "b");

const accepted = new Counter("videos_accepted");

export const options = {
  scenarios: {
    uploads: {
      executor: "ramping-arrival-rate",
      startRate: 1,
      timeUnit: "1s",
      preAllocatedVUs: 10,
      maxVUs: 100,
      stages: [
        { target: RATE, duration: "1m" },
        { target: RATE, duration: HOLD },
        { target: 0, duration: "30s" },
      ],
    },
  },
  thresholds: {
    http_req_failed: ["rate<0.01"],
    "http_req_duration{name:POST /videos}": ["p(95)<5000"],
    checks: ["rate>0.99"],
  },
};

export default function () {
  const res = http.post(
    `${BASE_URL}/videos`,
    { file: http.file(video, "sample.mp4", "video/mp4") },
    {
      headers: TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {},
      tags: { name: "POST /videos" },
      timeout: "120s",
    },
  );
  const ok = check(res, {
    "201 Created": (r) => r.status === 201,
    "returns a job id": (r) => r.status === 201 && Boolean(r.json("jobId") || r.json("id")),
  });
  if (ok) accepted.add(1);
}
