// Writes docs/openapi.json, the public API, from the services' route tables; a unit test
// (tools/local/test/openapi.unit.test.ts) fails while the checked-in file differs.
// Run: npm run openapi
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { OPENAPI_FILE, renderPublicApi } from "./openapi.ts";

writeFileSync(OPENAPI_FILE, renderPublicApi());
process.stdout.write(`wrote ${fileURLToPath(OPENAPI_FILE)}\n`);
