import { test } from "uvu";
import * as assert from "uvu/assert";
import { Writable } from "node:stream";
import { createLogger, forEvent } from "../src/index.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, sink };
}

test("event loggers bind job and event ids on every line, as JSON", () => {
  const { lines, sink } = capture();
  const logger = createLogger("svc", "info", sink);
  const child = forEvent(logger, { id: "ev-1", jobId: "job-9", type: "uploaded", correlationId: "c-1" });
  child.info("hello");
  child.warn({ attempt: 2 }, "again");
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.equal(line.jobId, "job-9");
    assert.equal(line.eventId, "ev-1");
    assert.equal(line.service, "svc");
  }
  assert.equal(lines[1]?.level, "warn");
  assert.equal(lines[1]?.attempt, 2);
});

test("secrets are redacted", () => {
  const { lines, sink } = capture();
  createLogger("svc", "info", sink).info({ authorization: "Bearer abc", headers: { authorization: "Bearer def" }, password: "p" }, "x");
  const text = JSON.stringify(lines[0]);
  assert.not.match(text, "Bearer abc");
  assert.not.match(text, "Bearer def");
  assert.equal(lines[0]?.password, "[redacted]");
});

test.run();
