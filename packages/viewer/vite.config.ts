/**
 * The viewer's page: Preact through Vite, built into `dist/` (served by `tau view`, never
 * committed). Everything is bundled: no CDN, no inline script (the server's CSP forbids it).
 */
import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

export default defineConfig({
  root: fileURLToPath(new URL("./src/app", import.meta.url)),
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    // A module preload polyfill would be an inline script; every browser we support has modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  logLevel: "warn",
})
