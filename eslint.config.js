// One linter for the whole repository, with the type-aware rules that catch the async
// mistakes a pipeline cannot afford: a floating promise loses an error (and an ack), a
// promise where a callback expects void runs unobserved.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/.types/**", "**/.stack/**", "**/.bench/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  { files: ["apps/web/src/**/*.ts"], languageOptions: { globals: globals.browser } },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: globals.node } },
  // k6 scripts run in k6's runtime, which has its own globals.
  {
    files: ["infra/load/k6/**/*.js"],
    languageOptions: { globals: { open: "readonly", __ENV: "readonly", __VU: "readonly", __ITER: "readonly" } },
  },
);
