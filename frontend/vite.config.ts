import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` proxies the API to a local `paygate dev` stack; a production build talks to
// `VITE_API_URL` (empty = same origin, which is how the functions host serves dist/).
const API_TARGET = process.env.PAYGATE_API_TARGET ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: {
      "/v1": API_TARGET,
      "/healthz": API_TARGET,
      "/dev": API_TARGET,
    },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
});
