import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * `vite build` writes dist/, which the API worker serves as its static assets (`[assets]` in
 * wrangler.toml). `vite` (pnpm --filter @plugins/web dev) serves the app with hot reload and
 * sends the platform's paths to the local stack of `pnpm dev`.
 */
export default defineConfig({
  plugins: [react()],
  resolve: {
    // The client's source, not its dist/: the app is built with the platform, not after a release.
    alias: { "@plugins/client": source("../client/src/index.ts") },
  },
  build: {
    target: "es2022",
    // The worker sends /assets/* with an immutable cache header: every name there carries its hash.
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(
      ["/api", "/trpc", "/plugins/bundles", "/health"].map((path) => [
        path,
        process.env.PLATFORM_URL ?? "http://127.0.0.1:8787",
      ]),
    ),
  },
});
