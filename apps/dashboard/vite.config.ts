// Vite builds the dashboard into dist/, which the API serves at `/` (apps/api/src/plugins/dashboard.ts).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  // `npm run dev -w @trainyard/dashboard`: the API (trainyard serve) on :8080 answers /v1.
  server: { proxy: { "/v1": "http://127.0.0.1:8080" } },
});
