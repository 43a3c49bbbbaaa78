// Builds the console into services/internal/console/dist, which manifold
// embeds and serves at /console/ (tools/web-build.sh runs this).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  resolve: {
    // The generated clients, used from their source (never copied).
    alias: { "@gen": fileURLToPath(new URL("../gen/ts/src", import.meta.url)) },
    // gen/ts may have a node_modules of its own (make ts-check); one copy
    // of the runtime must serve both the console and the generated code.
    dedupe: ["@bufbuild/protobuf", "@bufbuild/protovalidate", "@connectrpc/connect"],
  },
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  // `npm run dev` serves the console with hot reload and sends its Connect
  // calls to a running gateway (MANIFOLD_URL, default make run's address).
  server: {
    proxy: { "^/manifold\\.": process.env.MANIFOLD_URL ?? "http://127.0.0.1:8080" },
  },
  build: {
    outDir: fileURLToPath(new URL("../services/internal/console/dist", import.meta.url)),
    // dist/README.txt is committed; tools/web-build.sh removes the old build.
    emptyOutDir: false,
    chunkSizeWarningLimit: 1024,
  },
});
