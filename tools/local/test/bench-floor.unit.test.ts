import { suite } from "uvu";
import * as assert from "uvu/assert";
import { floorOf } from "../src/bench-scenarios.ts";

const floor = suite("the bench's measured floor: the least time a run's own work allows");

// Many-small as measured: 8.8 CPU s in the services (6.0 of it their ffmpeg/ffprobe), 2.4 in the servers.
const batch = {
  raw: 4.1,
  services: { extractor: 1.1, "extractor's tools": 6.0, packager: 0.6, projector: 0.5, "ingest-bridge": 0.4, notifier: 0.2 },
  servers: { moto: 1.4, ferretdb: 0.7, nats: 0.3 },
};

floor("a batch: all its CPU over the cores is the floor; above the target it says how much CPU must go", () => {
  const { facts, text } = floorOf({ cpu: [batch], rawMs: 2160, pipelineMs: 5910, limit: 2, cores: 2 });
  // (8.8 + 2.4) / 2 cores = 5.60 s, 2.59× the raw CLI's 2.16 s.
  assert.equal(facts[0], ["least time this CPU allows: all of it over 2 cores", "5.60 s (2.59× the raw CLI)"]);
  assert.equal(facts.at(-1), ["time the cores waited beyond that floor", "0.31 s"]);
  assert.ok(text?.includes("even with no waiting the pipeline needs 5.60 s (11.2 CPU s over 2 cores), 2.59×"), text);
  // 2.0 × 2.16 s = 4.32 s on 2 cores is 8.64 CPU s: 2.56 less than 11.2.
  assert.ok(text?.includes("about 2.6 CPU s less"), text);
});

floor("one job: the upload, then the tools' CPU over the cores, when that is the larger", () => {
  const job = { raw: 33.6, services: { extractor: 2.4, "extractor's tools": 30.3 }, servers: { moto: 1.7 } };
  const { facts, text } = floorOf({ cpu: [job], rawMs: 21390, pipelineMs: 21480, limit: 0.75, uploadMs: 2511, cores: 2 });
  // 2.511 + 30.3 / 2 = 17.66 s, 0.83× the raw CLI: the upload cannot overlap the decoding.
  assert.equal(facts[1], ["least time after the upload: its median, then the tools' CPU over 2 cores", "17.66 s (0.83× the raw CLI)"]);
  assert.ok(text?.includes("needs 17.66 s (the upload (2.51 s) then the tools' 30.3 CPU s over 2 cores), 0.83×"), text);
});

floor("below the target, the rest is time the cores waited", () => {
  const job = { raw: 3.4, services: { extractor: 0.3, "extractor's tools": 3.4 }, servers: { moto: 0.2 } };
  const serialSteps: [string, number][] = [
    ["the extractor's download", 77],
    ["its probe", 75],
  ];
  const { text } = floorOf({ cpu: [job], rawMs: 2230, pipelineMs: 2660, limit: 1, uploadMs: 307, serialSteps, cores: 2 });
  // max((3.7 + 0.2) / 2, 0.307 + 1.7) = 2.01 s, 0.90×; 0.65 s waited, the single-threaded steps named.
  assert.ok(text?.startsWith("measured in this run: its work allows 0.90× (2.01 s"), text);
  assert.ok(
    text?.endsWith("the other 0.65 s the cores waited on serial steps (among them the extractor's download 77 ms, its probe 75 ms)"),
    text,
  );
});

floor("no CPU measured: no floor is claimed", () => {
  assert.equal(floorOf({ cpu: [], rawMs: 1000, pipelineMs: 2000, limit: 1, uploadMs: 100, cores: 2 }), { facts: [], text: undefined });
});

floor.run();
