// Writes docs/openapi.json from the route specification; a unit test fails while the
// checked-in file differs. Run: npm run openapi -w @hfp/projector
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { OPENAPI_FILE, renderOpenApi } from "../src/api/info.ts";

writeFileSync(OPENAPI_FILE, renderOpenApi());
process.stdout.write(`wrote ${fileURLToPath(OPENAPI_FILE)}\n`);
