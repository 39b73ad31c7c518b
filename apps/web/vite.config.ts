import { defineConfig } from "vite";
import { inputsDigest, writeStamp } from "./local/build.ts";

// The bundle is served by the gateway (locally) or any static host beside the API; the page
// learns its API base URL and user pool from /config.json at run time, so one build serves
// every environment.
export default defineConfig(() => {
  let digest = "";
  return {
    root: import.meta.dirname,
    build: {
      outDir: "dist",
      emptyOutDir: true,
      target: "es2022",
      // The page, and the API reference at /docs/ (its own entry, so the page never loads Swagger UI).
      // Swagger UI is one 1.5 MB module, loaded only by /docs/; the page's own entry stays small.
      chunkSizeWarningLimit: 1600,
      rollupOptions: { input: { main: `${import.meta.dirname}/index.html`, docs: `${import.meta.dirname}/docs/index.html` } },
    },
    server: { port: 5173, strictPort: true },
    plugins: [
      {
        // The inputs' digest as the build began, so an edit during the build counts as a change next time.
        name: "hfp-inputs-digest",
        apply: "build",
        buildStart() {
          digest = inputsDigest(import.meta.dirname);
        },
        closeBundle() {
          writeStamp(`${import.meta.dirname}/dist`, digest);
        },
      },
    ],
  };
});
