import { defineConfig } from '@playwright/test';
import { UPLOAD_LIMIT_MB } from './tests/support';

// The server (the binary the Rust tests built, or SKYTRACE_E2E_BINARY) with the site ./dev test
// built in target/site, and the offline CSR build in target/csr-dist, are started by Playwright on
// ports of their own, so a running `./dev start` on :3000 does not interfere.
const SERVER_PORT = Number(process.env.SKYTRACE_E2E_PORT ?? 3107);
const CSR_PORT = SERVER_PORT + 1;
const HOSTED_PORT = SERVER_PORT + 2;
const HOSTED_DATA = '../target/e2e-hosted-data';
const SKYTRACE = process.env.SKYTRACE_E2E_BINARY ?? '../target/debug/skytrace';

const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
};

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
  projects: [
    {
      name: 'server',
      testIgnore: /(csr|hosted)\.spec\.ts/,
      use: { ...chromium, baseURL: `http://127.0.0.1:${SERVER_PORT}` },
    },
    {
      name: 'hosted',
      testMatch: /hosted\.spec\.ts/,
      use: { ...chromium, baseURL: `http://127.0.0.1:${HOSTED_PORT}` },
    },
    {
      name: 'csr',
      testMatch: /csr\.spec\.ts/,
      use: { ...chromium, baseURL: `http://127.0.0.1:${CSR_PORT}` },
    },
  ],
  webServer: [
    {
      command:
        `${SKYTRACE} serve --addr 127.0.0.1:${SERVER_PORT} --site-root ../target/site ` +
        `--data-dir ../target/e2e-data --max-upload-mb ${UPLOAD_LIMIT_MB}`,
      url: `http://127.0.0.1:${SERVER_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { RUST_LOG: 'warn' },
    },
    {
      // Hosted mode, on a fresh database with an analyst and an admin (see tests/hosted.spec.ts).
      command:
        `rm -rf ${HOSTED_DATA} && ` +
        `printf 'analyst-password-1\\n' | ${SKYTRACE} user add ana --role analyst --data-dir ${HOSTED_DATA} && ` +
        `printf 'admin-password-12\\n' | ${SKYTRACE} user add root --role admin --data-dir ${HOSTED_DATA} && ` +
        `exec ${SKYTRACE} serve --auth --addr 127.0.0.1:${HOSTED_PORT} --data-dir ${HOSTED_DATA} ` +
        `--site-root ../target/site`,
      url: `http://127.0.0.1:${HOSTED_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { RUST_LOG: 'warn' },
    },
    {
      command: `node static-server.mjs ../target/csr-dist ${CSR_PORT}`,
      url: `http://127.0.0.1:${CSR_PORT}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});
