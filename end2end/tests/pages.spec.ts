import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { collectErrors, expectHydrated, keepScreenshot, ROUTES, SAMPLE_PATH } from './support';

test.describe('server-side rendering without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  for (const route of ROUTES) {
    test(`${route.path} renders on the server`, async ({ page }) => {
      const response = await page.goto(route.path);
      expect(response?.status()).toBe(200);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(route.heading);
      await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
      await expect(page.locator('footer')).toContainText('Sky Trace');
      await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
    });
  }

  test('an unknown path is a 404 page', async ({ page }) => {
    const response = await page.goto('/no-such-page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  });
});

test.describe('after hydration', () => {
  for (const route of ROUTES) {
    test(`${route.path} hydrates and its controls respond`, async ({ page }) => {
      const errors = collectErrors(page);
      await page.goto(route.path);
      await expectHydrated(page);
      const html = page.locator('html');
      const before = await html.getAttribute('data-theme');
      await page.getByTestId('theme-toggle').click();
      await expect(html).not.toHaveAttribute('data-theme', before ?? '');
      await page.getByTestId('theme-toggle').click();
      await expect(html).toHaveAttribute('data-theme', before ?? '');
      await keepScreenshot(page, `page${route.path === '/' ? '-home' : route.path.replace('/', '-')}`);
      expect(errors).toEqual([]);
    });
  }

  test('the chosen theme survives a reload', async ({ page }) => {
    await page.goto('/dashboard');
    await expectHydrated(page);
    const html = page.locator('html');
    const before = await html.getAttribute('data-theme');
    await page.getByTestId('theme-toggle').click();
    const chosen = before === 'dark' ? 'light' : 'dark';
    await expect(html).toHaveAttribute('data-theme', chosen);
    await page.reload();
    await expect(html).toHaveAttribute('data-theme', chosen);
  });

  test('client-side navigation visits every route without reloading', async ({ page }) => {
    await page.goto('/');
    await expectHydrated(page);
    await page.evaluate(() => ((window as unknown as { stillSamePage: boolean }).stillSamePage = true));
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const [label, route] of [
      ['Upload', ROUTES[1]],
      ['Detection', ROUTES[2]],
      ['Dashboard', ROUTES[3]],
      ['Reports', ROUTES[4]],
      ['Sky Trace', ROUTES[0]],
    ] as const) {
      await nav.getByRole('link', { name: label }).click();
      await expect(page).toHaveURL(new RegExp(`${route.path}$`));
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(route.heading);
    }
    expect(await page.evaluate(() => (window as unknown as { stillSamePage?: boolean }).stillSamePage)).toBe(true);
  });

  test('the home page leads to the upload page', async ({ page }) => {
    await page.goto('/');
    await expectHydrated(page);
    await page.getByTestId('start').click();
    await expect(page).toHaveURL(/\/upload$/);
  });
});

// Without a run in the address, once a run is kept: the kept runs to choose from, not "No analysis
// yet". (The empty state on a fresh database is checked by the server's tests.)
test('pages without results list the kept analyses, not an empty state', async ({ page, request }) => {
  const created = await request.post('/api/v1/analyses', {
    multipart: { file: { name: 'kept.csv', mimeType: 'text/csv', buffer: readFileSync(SAMPLE_PATH) } },
  });
  expect(created.ok()).toBeTruthy();
  await page.goto('/detect');
  await expectHydrated(page);
  await expect(page.getByTestId('choose-run')).toContainText('kept.csv');
  await expect(page.getByTestId('empty-state')).toHaveCount(0);
  await page.goto('/reports');
  await expectHydrated(page);
  await expect(page.getByTestId('report-runs')).toContainText('kept.csv');
  await expect(page.getByTestId('empty-state')).toHaveCount(0);
});
