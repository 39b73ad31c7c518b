import { test } from "uvu";
import * as assert from "uvu/assert";
import { ApiError } from "../src/api/client.ts";
import { NoStream, readJobStream, type LiveJob } from "../src/api/live.ts";

/** A fetch that answers once with these chunks, recording what it was asked. */
function fakeFetch(status: number, contentType: string, chunks: string[]) {
  const asked: { url: string; headers: Headers }[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    asked.push({ url, headers: new Headers(init.headers) });
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    });
    return new Response(body, { status, headers: { "content-type": contentType } });
  }) as unknown as typeof fetch;
  return { fn, asked };
}

async function read(f: ReturnType<typeof fakeFetch>): Promise<LiveJob[]> {
  const jobs: LiveJob[] = [];
  const real = globalThis.fetch;
  globalThis.fetch = f.fn;
  try {
    await readJobStream({
      baseUrl: "http://api",
      token: async () => "tok",
      path: "/videos/stream",
      onJob: (j) => jobs.push(j),
      signal: new AbortController().signal,
    });
  } finally {
    globalThis.fetch = real;
  }
  return jobs;
}

test("job messages split anywhere across chunks are each one job; comments and other events are skipped", async () => {
  const a = JSON.stringify({ id: "j1", status: "extracting", progress: { percent: 40, framesDone: 4 } });
  const b = JSON.stringify({ id: "j1", status: "completed" });
  const text = `: keep-alive\n\nevent: job\nid: 1\ndata: ${a}\n\nevent: other\ndata: {}\n\nevent: job\r\nid: 2\r\ndata: ${b}\r\n\r\nevent: job\ndata: not json\n\n`;
  const chunks = [text.slice(0, 7), text.slice(7, 40), text.slice(40, 41), text.slice(41, 120), text.slice(120)];
  const f = fakeFetch(200, "text/event-stream; charset=utf-8", chunks);
  const jobs = await read(f);
  assert.equal(
    jobs.map((j) => [j.id, j.status, j.progress?.percent ?? null]),
    [
      ["j1", "extracting", 40],
      ["j1", "completed", null],
    ],
  );
  assert.is(f.asked[0]!.url, "http://api/videos/stream");
  assert.is(f.asked[0]!.headers.get("authorization"), "Bearer tok");
  assert.is(f.asked[0]!.headers.get("accept"), "text/event-stream");
});

test("an answer that is not an event stream is NoStream; a refusal is the API's error", async () => {
  try {
    await read(fakeFetch(200, "application/json", ["{}"]));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NoStream);
  }
  try {
    await read(fakeFetch(404, "application/json", [JSON.stringify({ code: "NOT_FOUND", message: "job stream not found" })]));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ApiError);
    assert.equal([(err as ApiError).status, (err as ApiError).code], [404, "NOT_FOUND"]);
  }
});

test.run();
