import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

const spec = new URL("../../../docs/openapi.json", import.meta.url);
const generated = new URL("../src/api/schema.ts", import.meta.url);

test("src/api/schema.ts is what openapi-typescript makes of docs/openapi.json (regenerate: npm run generate -w @hfp/web)", async () => {
  assert.fixture(readFileSync(generated, "utf8"), COMMENT_HEADER + astToString(await openapiTS(spec)));
});

test.run();
