import { defineConfig } from "tsup";

// One ESM and one CommonJS build of src/index.ts, each with its declarations (.d.ts, .d.cts).
// `shims` turns import.meta.url into __filename's URL in the CommonJS build, so the platform
// package is resolved from this package's own folder in both.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  shims: true,
  target: "node20",
  platform: "node",
  sourcemap: false,
  clean: true,
  splitting: false,
});
