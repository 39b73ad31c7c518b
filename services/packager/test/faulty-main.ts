// Test-only entry point: the packager as `npm run services` starts it, except that the jobs
// listed in FAULT_JOBS fail with INTERNAL "fault injected". The operations end-to-end test
// runs it for its re-drive drill; production code has no such switch.
import { FaultyStorage } from "./support.ts";
import { main } from "../src/main.ts";

const jobs = (process.env.FAULT_JOBS ?? "").split(",").filter(Boolean);
await main((s3) => new FaultyStorage(s3, jobs));
