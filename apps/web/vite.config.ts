import { defineConfig } from "vite";

// The bundle is served by the gateway (locally) or any static host beside the API; the page
// learns its API base URL and user pool from /config.json at run time, so one build serves
// every environment.
export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: { port: 5173, strictPort: true },
});
