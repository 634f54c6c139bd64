import { defineConfig } from '@playwright/test';

// `./dev bench-browser`: in-browser analysis timed in Debian's headless Chromium, against the
// release server (for the pages) on a port of its own. Not part of `./dev test`: figures are
// measured and reported, never asserted.
const PORT = Number(process.env.SKYTRACE_BENCH_PORT ?? 3117);

export default defineConfig({
  testDir: './bench',
  testMatch: /.*\.bench\.ts/,
  timeout: 600_000,
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    },
  },
  webServer: {
    command:
      `rm -rf ../target/bench/browser-data && ../target/release/skytrace serve ` +
      `--addr 127.0.0.1:${PORT} --data-dir ../target/bench/browser-data --max-browser-mb 256`,
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 30_000,
    env: { RUST_LOG: 'warn' },
  },
});
