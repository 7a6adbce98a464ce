import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
    restoreMocks: true,
    // Bounds, not waits (a test ends as soon as it is done): vitest's 5 s default timed out
    // tests on a loaded 2-core CI machine.
    testTimeout: 30_000,
  },
});
