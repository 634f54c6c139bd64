import { expect, type APIResponse, type Page, type Response } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The server under test is started with this upload limit; the "too large" test exceeds it. */
export const UPLOAD_LIMIT_MB = 1;

export const SAMPLE_PATH = join(__dirname, '..', '..', 'public', 'sample', 'sample-logins.csv');

/** Data rows in the bundled sample (lines after the header, ignoring a final newline). */
export function sampleDataRows(): number {
  const lines = readFileSync(SAMPLE_PATH, 'utf8').split('\n').filter((line) => line.length > 0);
  return lines.length - 1;
}

export const ROUTES = [
  { path: '/', heading: 'Find account takeovers in your sign-in logs' },
  { path: '/upload', heading: 'Upload sign-in logs' },
  { path: '/detect', heading: 'Detection' },
  { path: '/dashboard', heading: 'Dashboard' },
  { path: '/reports', heading: 'Reports' },
  { path: '/settings', heading: 'Settings' },
];

export const STAT_IDS = [
  'rows-read',
  'accepted',
  'rejected',
  'users',
  'ips',
  'successes',
  'failures',
  'first-seen',
  'last-seen',
];

/** Waits until the WebAssembly side has taken over the page. */
export async function expectHydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** The profile's figures, keyed by their test id. */
export async function readStats(page: Page): Promise<Record<string, string>> {
  const stats: Record<string, string> = {};
  for (const id of STAT_IDS) {
    stats[id] = (await page.getByTestId(id).textContent())?.trim() ?? '';
  }
  return stats;
}

/** Full-page screenshot kept as a test artifact under end2end/screenshots/. */
export async function keepScreenshot(page: Page, name: string) {
  await page.screenshot({ path: join(__dirname, '..', 'screenshots', `${name}.png`), fullPage: true });
}

/** Records console errors and failed page errors so a test can assert there were none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** What an interactive (ECharts) chart holds, read from its instance. */
export interface DrawnChart {
  series: { type: string; name: string; points: number }[];
  option: Record<string, unknown>;
}

/**
 * Waits until ECharts has drawn the chart in `testId` over its server-rendered SVG (which is
 * then hidden), and returns what it drew.
 */
export async function expectInteractiveChart(page: Page, testId: string): Promise<DrawnChart> {
  const figure = page.getByTestId(testId);
  const host = figure.locator('.echart[data-drawn="true"]');
  await expect(host).toBeVisible();
  await expect(host.locator('canvas').first()).toBeVisible();
  await expect(figure.locator(':scope > svg')).toBeHidden();
  return host.evaluate((element) => {
    const echarts = (window as unknown as { echarts: { getInstanceByDom(e: Element): { getOption(): Record<string, unknown> } } }).echarts;
    const option = echarts.getInstanceByDom(element).getOption();
    const series = (option.series as { type: string; name: string; data?: unknown[] }[]).map((one) => ({
      type: one.type,
      name: one.name,
      points: (one.data ?? []).length,
    }));
    return { series, option: JSON.parse(JSON.stringify(option)) };
  });
}

/** Records every Content-Security-Policy violation the page reports, from its first script on. */
export async function watchPolicyViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { policyViolations: string[] }).policyViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  return () => page.evaluate(() => (window as unknown as { policyViolations: string[] }).policyViolations ?? []);
}

/** The headers every answer carries; a page's policy names its nonce, others allow nothing. */
export function expectSecurityHeaders(response: Response | APIResponse, isPage: boolean): string | undefined {
  const headers = response.headers();
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('same-origin');
  const policy = headers['content-security-policy'];
  expect(policy).toContain("frame-ancestors 'none'");
  if (!isPage) {
    expect(policy).toBe("default-src 'none'; frame-ancestors 'none'");
    return undefined;
  }
  const scripts = policy.split(';').map((directive) => directive.trim()).find((d) => d.startsWith('script-src '));
  expect(scripts).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9_-]{22}' 'wasm-unsafe-eval'$/);
  expect(policy).not.toContain("'unsafe-eval'");
  expect(policy).toContain("default-src 'none'");
  return /'nonce-([^']+)'/.exec(policy)?.[1];
}
