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
  // A route across the antimeridian is two pieces (each to the map's edge), in both drawings.
  const pieces = await map
    .locator('path.trip')
    .evaluateAll((paths) => paths.reduce((sum, path) => sum + (path.getAttribute('d')?.match(/M/g)?.length ?? 0), 0));
  expect(drawnMap.series.find((series) => series.type === 'lines')?.points).toBe(pieces);
  // No piece runs across the whole map (the stray horizontal lines of antimeridian routes).
  const widest = await map.locator('path.trip').evaluateAll((paths) =>
    Math.max(
      0,
      ...paths.flatMap((path) =>
        (path.getAttribute('d') ?? '')
          .split('M')
          .filter((piece) => piece.length > 0)
          .map((piece) => {
            const numbers = piece.match(/-?[0-9.]+/g)!.map(Number);
            return Math.abs(numbers[numbers.length - 2] - numbers[0]);
          }),
      ),
    ),
  );
  expect(widest).toBeLessThanOrEqual(180);
  // The legend names every level, and the caption says what the map shows of what.
  await expect(page.getByTestId('map-legend')).toContainText('Low');
  for (const level of ['Low', 'Medium', 'High', 'Critical']) {
    await expect(page.getByTestId('map-legend').getByText(level, { exact: true })).toBeVisible();
  }
  await expect(page.getByTestId('map-caption')).toContainText(/[0-9,]+ (places|areas) from [0-9,]+ logins/);
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
  await expect(mapHost).toContainText(/: [0-9,]+ logins?, [0-9,]+ High or above, highest level (Low|Medium|High|Critical)/);
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

test('filters that cannot apply explain themselves and keep the page; a user’s risk ignores the level', async ({ page }) => {
  const errors = collectErrors(page);
  const run = await scoreSample(page);

  // From after To: both dates stay in the form, the page stays, and the dates say why.
  await page.goto(`/dashboard?run=${run}&from=2031-05-02&to=2031-05-01&level=high`);
  await expectHydrated(page);
  await expect(page.getByTestId('filter-problems')).toBeVisible();
  await expect(page.getByTestId('filter-to-error')).toContainText('is before');
  await expect(page.getByTestId('filter-from')).toHaveValue('2031-05-02');
  await expect(page.getByTestId('filter-to')).toHaveValue('2031-05-01');
  await expect(page.getByTestId('filter-level')).toHaveValue('high');
  await expect(page.getByTestId('filter-from')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('metrics')).toBeVisible();
  const high = number(await page.getByTestId('metric-logins').textContent());
  expect(high).toBe(number(await page.getByTestId('metric-high').textContent()));

  // An unknown user name says so, instead of zeros.
  await page.getByTestId('filter-user').fill('nobody-of-that-name');
  await page.getByTestId('filter-apply').click();
  await expect(page.getByTestId('no-logins')).toContainText('No logins for user “nobody-of-that-name”');
  await expect(page.getByTestId('metrics')).toHaveCount(0);
  await expect(page.getByTestId('filter-user')).toHaveValue('nobody-of-that-name');

  // The riskiest user's risk is the same with and without the level filter.
  await page.goto(`/dashboard?run=${run}`);
  const riskiest = (await page.getByTestId('user-link').first().textContent())!.trim();
  const riskAt = async (level: string) => {
    await page.goto(`/dashboard?run=${run}&focus=${encodeURIComponent(riskiest)}${level ? `&level=${level}` : ''}`);
    const summary = (await page.getByTestId('user-summary').textContent()) ?? '';
    return summary.match(/^Risk [0-9.]+ \((Low|Medium|High|Critical)\)/)?.[0];
  };
  const everything = await riskAt('');
  expect(everything).toBeTruthy();
  expect(await riskAt('critical')).toBe(everything);
  expect(await riskAt('medium')).toBe(everything);
  expect(errors).toEqual([]);
});

test('logins monitored as they arrive appear on the live dashboard without a reload', async ({ page }) => {
  const errors = collectErrors(page);
  // A source of its own: nothing monitored before this test is in it.
  const source = `e2e-live-${Date.now()}`;
  await page.goto(`/dashboard?run=live&source=${source}`);
  await expectHydrated(page);
  await expect(page.getByTestId('dashboard-source')).toContainText(
    `Monitored logins of source ${source}, the last 24 hours`,
  );
  await expect(page.getByTestId('no-monitored-logins')).toBeVisible();
  await expect(page.getByTestId('filter-run')).toHaveValue('live');
  await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));

  // A shipper sends six sign-ins of the last minutes, then a failed one from elsewhere.
  const now = Date.now();
  const login = (minutesAgo: number, ip: string, success: boolean) =>
    JSON.stringify({
      timestamp: new Date(now - minutesAgo * 60_000).toISOString(),
      user_id: 'live.user',
      ip_address: ip,
      user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/145.0.0.0 Safari/537.36',
      success,
    });
  const send = async (lines: string[]) => {
    const sent = await page.request.post(`/api/v1/events?source=${source}`, {
      headers: { 'content-type': 'application/x-ndjson' },
      data: lines.join('\n') + '\n',
    });
    expect(sent.status()).toBe(200);
  };
  await send([10, 9, 8, 7, 6, 5].map((minutes) => login(minutes, '10.20.30.40', true)));
  await expect(page.getByTestId('metric-logins')).toHaveText('6');
  await send([login(1, '185.220.101.7', false)]);
  await expect(page.getByTestId('metric-logins')).toHaveText('7');
  await expect(page.getByTestId('metric-users')).toHaveText('1');
  // The source's row: what it sent, and nothing rejected.
  const row = page.getByTestId('source-row').filter({ hasText: source });
  await expect(row.getByTestId('source-scored')).toHaveText('7');
  await expect(row.getByTestId('source-rejected')).toHaveText('0');

  // Updated in place: no reload, no navigation.
  await expect(page).toHaveURL(new RegExp(`run=live&source=${source}$`));
  expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  expect(errors).toEqual([]);
});
