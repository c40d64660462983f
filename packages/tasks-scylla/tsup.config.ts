import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // zod comes with @scylla-cp/core (a dependency); it must not be bundled: tag schemas are
  // checked by core's zod. TODO(lead): declare "zod": "^4.1.0" in package.json with the lockfile update.
  external: ['zod'],
});
