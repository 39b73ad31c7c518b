import { test } from "uvu";
import * as assert from "uvu/assert";
import { EVENT_TYPES, failedTypeOf, redriveOutcome, stageOfFailedType } from "../src/index.ts";

test("each consuming stage reports its own failure event, and the map reads back", () => {
  assert.is(failedTypeOf("extractor"), "extraction-failed");
  assert.is(failedTypeOf("packager"), "packaging-failed");
  assert.is(failedTypeOf("notifier"), "notification-failed");
  for (const stage of ["extractor", "packager", "notifier"] as const) assert.is(stageOfFailedType(failedTypeOf(stage)), stage);
  const others = EVENT_TYPES.filter((t) => !t.endsWith("-failed") || t === "failed");
  for (const t of others) assert.is(stageOfFailedType(t), undefined, t);
});

test("a re-drive notifies the newer outcome, except over the notifier's own failure", () => {
  const packaged = { seq: 5 };
  assert.is(redriveOutcome(packaged, { seq: 3, stage: "packager" as const }), packaged);
  const laterFailure = { seq: 9, stage: "packager" as const };
  assert.is(redriveOutcome(packaged, laterFailure), laterFailure);
  assert.is(redriveOutcome(null, laterFailure), laterFailure);
  assert.is(redriveOutcome(packaged, null), packaged);
  assert.is(redriveOutcome(null, null), null);
  assert.is(redriveOutcome(packaged, { seq: 6, stage: "notifier" as const }), packaged);
});

test.run();
