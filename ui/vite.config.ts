/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";

// `npm run dev` proxies the API to a running `sift serve` (default port 7878).
const server = process.env.SIFT_SERVER ?? "http://127.0.0.1:7878";

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Relative asset URLs: the same build is served by `sift serve` and by the desktop shell.
  base: "./",
  build: {
    outDir: "dist",
    target: "es2022",
    // No inline scripts or styles anywhere: the app runs under a strict CSP.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": { target: server, changeOrigin: false },
      "/media": { target: server, changeOrigin: false },
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.ts"],
    restoreMocks: true,
  },
});
