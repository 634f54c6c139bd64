import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { collectErrors, expectHydrated, expectInteractiveChart, keepScreenshot, SAMPLE_PATH } from './support';

/** Scores the bundled sample on the server; returns the run's id. */
async function scoreSample(page: import('@playwright/test').Page): Promise<string> {
  await page.goto('/detect');
  await expectHydrated(page);
  await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await expect(page).toHaveURL(/\/detect\?run=[0-9a-f]{16}/);
  return new URL(page.url()).searchParams.get('run')!;
}

const number = (text: string | null) => Number((text ?? '').replace(/[^0-9]/g, ''));

test('the dashboard shows a kept analysis, filters it and opens a user', async ({ page }) => {
  const errors = collectErrors(page);
  const run = await scoreSample(page);

  await page.getByRole('link', { name: 'Dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expectHydrated(page);
  await expect(page.getByTestId('dashboard-source')).toContainText(run);
  const logins = number(await page.getByTestId('metric-logins').textContent());
  expect(logins).toBeGreaterThan(4000);
  expect(number(await page.getByTestId('metric-high').textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('browsers').locator('li').first()).toBeVisible();
  // The server-rendered map: located logins as dots, impossible travel as arcs, land drawn by
  // the server (what a reader sees before the WebAssembly loads, or without JavaScript).
  const map = page.getByTestId('world-map');
  const places = await map.locator('circle.place').count();
  const trips = await map.locator('path.trip').count();
  expect(places).toBeGreaterThan(10);
  expect(trips).toBeGreaterThan(0);
  await expect(map.locator('circle.place.level-critical').first()).toBeAttached();
  const land = await page.request.get('/map/land.svg');
  expect(land.status()).toBe(200);
  expect(await land.text()).toContain('<path');
  // Then ECharts draws the same places on the world's countries, a series per level, and the
  // same trips as lines.
  const drawnMap = await expectInteractiveChart(page, 'world-map');
  const scatter = drawnMap.series.filter((series) => series.type === 'scatter');
  expect(scatter.map((series) => series.name)).toContain('Critical');
  expect(scatter.reduce((sum, series) => sum + series.points, 0)).toBe(places);
  expect(drawnMap.series.find((series) => series.type === 'lines')?.points).toBe(trips);
  expect((drawnMap.option.geo as { map: string }[])[0].map).toBe('world');
  const trend = await expectInteractiveChart(page, 'trend');
  expect(trend.series.map((series) => series.name)).toEqual(['Below High', 'High or above', 'Mean risk']);
  expect(trend.series[0].points).toBe(await page.getByTestId('trend').locator('svg rect.bar.logins').count());
  // A place's tooltip names it, with its logins and highest level.
  const mapHost = map.locator('.echart');
  await mapHost.evaluate((element) => {
    const echarts = (window as unknown as { echarts: { getInstanceByDom(e: Element): { dispatchAction(a: object): void } } }).echarts;
    echarts.getInstanceByDom(element).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 });
  });
  await expect(mapHost).toContainText(/: [0-9,]+ logins?, highest level (Low|Medium|High|Critical)/);
  await page.waitForTimeout(600); // let the map's entry animation settle for the screenshot
  await keepScreenshot(page, 'dashboard');

  // Filters: High or above only; every figure follows, and the address keeps the view.
  await page.getByTestId('filter-level').selectOption('high');
  await page.getByTestId('filter-apply').click();
  await expect(page).toHaveURL(/level=high/);
  await expect(page.getByTestId('dashboard-source')).toContainText('match the filters');
  const high = number(await page.getByTestId('metric-logins').textContent());
  expect(high).toBeLessThan(logins);
  expect(high).toBe(number(await page.getByTestId('metric-high').textContent()));

  // Drill down into the riskiest user.
  const riskiest = page.getByTestId('user-link').first();
  const name = (await riskiest.textContent())!.trim();
  await riskiest.click();
  await expect(page).toHaveURL(new RegExp(`focus=${encodeURIComponent(name).replace(/\./g, '\\.')}`));
  const detail = page.getByTestId('user-detail');
  await expect(detail.getByRole('heading', { level: 2 })).toHaveText(name);
  await expect(detail.getByTestId('user-timeline').locator('tbody tr').first()).toBeVisible();
  await expect(detail.getByTestId('user-findings').locator('li').first()).toBeVisible();
  await keepScreenshot(page, 'dashboard-user');

  // A deep link renders the same view after a reload.
  await page.reload();
  await expect(page.getByTestId('user-detail')).toBeVisible();
  await page.getByTestId('close-detail').click();
  await expect(page.getByTestId('user-detail')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('the dashboard updates by itself when an analysis is kept', async ({ page }) => {
  const errors = collectErrors(page);
  await scoreSample(page);
  await page.goto('/dashboard');
  await expectHydrated(page);
  const before = await page.getByTestId('dashboard-source').textContent();
  await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));

  // Another export arrives through the API while the page is open: the first 1,000 logins.
  const lines = readFileSync(SAMPLE_PATH, 'utf8').split('\n');
  const partial = lines.slice(0, 1001).join('\n') + '\n';
  const created = await page.request.post('/api/v1/analyses', {
    multipart: { file: { name: 'first-thousand.csv', mimeType: 'text/csv', buffer: Buffer.from(partial) } },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  expect(before).not.toContain(id);

  await expect(page.getByTestId('dashboard-source')).toContainText(`first-thousand.csv (${id})`);
  await expect(page.getByTestId('metric-logins')).toHaveText('1,000');
  // Updated in place: no reload, no navigation.
  await expect(page).toHaveURL(/\/dashboard$/);
  expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  expect(errors).toEqual([]);
});
