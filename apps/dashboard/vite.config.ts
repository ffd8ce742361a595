// Vite builds the dashboard into dist/, which the API serves at `/` (apps/api/src/plugins/dashboard.ts).
import { defineConfig, type Plugin, type Rollup } from "vite";
import react from "@vitejs/plugin-react";

/**
 * The entry is tiny: it starts the landing page's request, then imports the app dynamically
 * (src/main.ts). This announces the app's chunks in index.html as modulepreload, so the browser
 * fetches and compiles them while the entry runs instead of after.
 */
function preloadApp(): Plugin {
  return {
    name: "trainyard:preload-app",
    apply: "build",
    transformIndexHtml(_html, ctx) {
      const bundle = ctx.bundle;
      const entry = ctx.chunk;
      if (!bundle || !entry) return [];
      const files = new Set<string>();
      const visit = (name: string) => {
        const c = bundle[name] as Rollup.OutputChunk | undefined;
        if (!c || c.type !== "chunk" || files.has(name) || name === entry.fileName) return;
        files.add(name);
        c.imports.forEach(visit);
      };
      // Only the app shell (boot), not the lazily loaded pages it imports dynamically.
      entry.dynamicImports.filter((f) => /\/boot-/.test(f)).forEach(visit);
      return [...files].map((f) => ({
        tag: "link",
        attrs: { rel: "modulepreload", crossorigin: true, href: `/${f}` },
        injectTo: "head" as const,
      }));
    },
  };
}

export default defineConfig({
  plugins: [react(), preloadApp()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  // `npm run dev -w @trainyard/dashboard`: the API (trainyard serve) on :8080 answers /v1.
  server: { proxy: { "/v1": "http://127.0.0.1:8080" } },
});
