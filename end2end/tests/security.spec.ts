import { expect, test } from '@playwright/test';
import {
  expectHydrated,
  expectInteractiveChart,
  expectSecurityHeaders,
  SAMPLE_PATH,
  watchPolicyViolations,
} from './support';

test('every answer carries the security headers; each page its own nonce', async ({ page, request }) => {
  const first = await page.goto('/detect');
  const nonce = expectSecurityHeaders(first!, true);
  // The nonce is the one the page's inline scripts carry (browsers hide it from getAttribute).
  const inlineNonces = await page.evaluate(() =>
    [...document.querySelectorAll('script:not([src])')].map((script) => (script as HTMLScriptElement).nonce),
  );
  expect(inlineNonces.length).toBeGreaterThan(0);
  expect(new Set(inlineNonces)).toEqual(new Set([nonce]));
  const again = await page.goto('/detect');
  expect(expectSecurityHeaders(again!, true)).not.toBe(nonce);

  expectSecurityHeaders(await request.get('/api/v1/analyses'), false);
  expectSecurityHeaders(await request.get('/api/v1/nothing-here'), false);
  expectSecurityHeaders(await request.get('/healthz'), false);
  expectSecurityHeaders(await request.get('/no-such-page'), true);
});

test('under the policy the app hydrates, draws its charts and analyses in the browser', async ({ page }) => {
  const violations = await watchPolicyViolations(page);
  await page.goto('/detect');
  await expectHydrated(page);
  // The theme script ran before the page painted.
  expect(await page.evaluate(() => document.documentElement.getAttribute('data-theme'))).toMatch(/^(light|dark)$/);

  // In the browser: a worker from a Blob URL compiles the WebAssembly and reads the country
  // database.
  await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
  await page.getByTestId('use-geo').check();
  await page.getByTestId('detect-local').click();
  await expect(page.getByTestId('detected-where')).toHaveText(/Analysed locally.*country-level geolocation/);
  expect(page.workers().length).toBe(1);
  await expectInteractiveChart(page, 'histogram');

  // On the server, then the dashboard's map (ECharts and the map data).
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await expectHydrated(page);
  await expectInteractiveChart(page, 'world-map');
  expect(await violations()).toEqual([]);
});

test('an inline script without the nonce does not run', async ({ page }) => {
  const violations = await watchPolicyViolations(page);
  await page.goto('/');
  await expectHydrated(page);
  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true;';
    document.head.append(script);
    return (window as unknown as { injected?: boolean }).injected === true;
  });
  expect(ran).toBe(false);
  expect(await violations()).toEqual([expect.stringMatching(/^script-src-elem blocked inline/)]);
});
