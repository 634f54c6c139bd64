import { expect, test, type Page } from '@playwright/test';
import { expectHydrated, expectInteractiveChart, keepScreenshot, SAMPLE_PATH } from './support';

const LEVELS = ['critical', 'high', 'medium', 'low'] as const;

async function openWithSample(page: Page) {
  await page.goto('/detect');
  await expectHydrated(page);
  await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
}

async function levelCounts(page: Page): Promise<string[]> {
  const counts: string[] = [];
  for (const level of LEVELS) {
    counts.push((await page.getByTestId(`level-${level}`).textContent())?.trim() ?? '');
  }
  return counts;
}

/** The first risky login's time, user, outcome, score, account, detections and source (not the verdict). */
async function firstRowCells(page: Page): Promise<string[]> {
  const cells = page.getByTestId('triage-row').first().locator('td');
  await expect(cells.first()).toBeVisible();
  const texts = await cells.allTextContents();
  return texts.slice(0, 7);
}

test('detection on the server lists risky logins with their reasons', async ({ page }) => {
  await openWithSample(page);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await expect(page.getByTestId('histogram').locator('rect')).toHaveCount(20);
  // The sample has logins at every level: four slices of the ring, riskiest first in the legend.
  await expect(page.getByTestId('level-pie').locator('circle.slice')).toHaveCount(4);
  await expect(page.getByTestId('level-pie').locator('li').first()).toContainText('Critical');
  await expect(page.getByTestId('agreement')).toContainText('Isolation Forest');
  // Once interactive, ECharts draws both: the threshold (where High begins, 0.6 by default)
  // marked on the histogram, the ring's slices riskiest first.
  const histogram = await expectInteractiveChart(page, 'histogram');
  const marked = (histogram.option.series as { markLine: { data: { xAxis: number }[] } }[])[0].markLine;
  expect(marked.data[0].xAxis).toBe(0.6);
  await expect(page.getByTestId('detection-conclusions')).toContainText(/Accounts: \d+ compromised/);
  const pie = await expectInteractiveChart(page, 'level-pie');
  const slices = (pie.option.series as { data: { name: string }[] }[])[0].data.map((slice) => slice.name);
  expect(slices).toEqual(['Critical', 'High', 'Medium', 'Low']);
  // The charts follow the theme.
  const textColour = async () =>
    page.getByTestId('histogram').locator('.echart').evaluate((element) => {
      const echarts = (window as unknown as { echarts: { getInstanceByDom(e: Element): { getOption(): { textStyle: { color: string }[] } } } }).echarts;
      const option = echarts.getInstanceByDom(element).getOption();
      return JSON.stringify(option.textStyle);
    });
  const before = await textColour();
  await page.getByTestId('theme-toggle').click();
  await expect.poll(textColour).not.toBe(before);
  await page.getByTestId('theme-toggle').click();
  await expect.poll(textColour).toBe(before);
  const rows = page.getByTestId('triage-row');
  await expect(rows.first()).toBeVisible();
  expect(Number((await page.getByTestId('level-critical').textContent())?.replace(/,/g, ''))).toBeGreaterThan(0);
  await expect(page.getByTestId('page-status')).toContainText('Page 1 of');
  // Each row: its outcome, and its detections as named chips.
  await expect(rows.first().getByTestId('row-outcome')).toHaveText(/^(Success|Failure|Unknown)$/);
  await expect(rows.first().getByTestId('row-detections').locator('.chip').first()).toBeVisible();
  await keepScreenshot(page, 'detect-results');

  await page.getByTestId('filter-user').fill('lena.neumann');
  await page.getByTestId('filter-user').press('Enter');
  await expect(page).toHaveURL(/user=lena\.neumann/);
  await expect(rows.first()).toContainText('lena.neumann');
  // The brute force on her account, by its named detection.
  await page.getByTestId('filter-detection').selectOption('brute_force');
  await expect(page).toHaveURL(/detection=brute_force/);
  await expect(rows.first().locator('[data-detection="brute_force"]')).toHaveText('Brute force');
  await expect(rows.first()).toContainText('lena.neumann');
  await expect(page.getByTestId('facets')).toContainText('Brute force');

  await page.getByTestId('filter-detection').selectOption('');
  await page.getByTestId('filter-user').fill('');
  await page.getByTestId('filter-user').press('Enter');
  await page.getByTestId('page-next').click();
  await expect(page.getByTestId('page-status')).toContainText('Page 2 of');
});

test('the in-browser run matches the server with geolocation off, with every request blocked', async ({ page }) => {
  await openWithSample(page);
  await page.getByTestId('use-geo').uncheck();
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  const fromServer = await levelCounts(page);
  const firstFromServer = await firstRowCells(page);

  const attempted: string[] = [];
  await page.route('**/*', (route) => {
    attempted.push(route.request().url());
    return route.abort();
  });
  await page.getByTestId('detect-local').click();
  await expect(page.getByTestId('detected-where')).toHaveText(/Analysed locally/);
  expect(await levelCounts(page)).toEqual(fromServer);
  expect(await firstRowCells(page)).toEqual(firstFromServer);
  expect(attempted).toEqual([]);
});

test('the in-browser run happens in a web worker and pages through the worker', async ({ page }) => {
  await openWithSample(page);
  await page.getByTestId('use-geo').uncheck();
  // The worker starts with the page, so that an analysis still works once the page is offline.
  await expect.poll(() => page.workers().length).toBe(1);
  await page.getByTestId('detect-local').click();
  await expect(page.getByTestId('detected-where')).toHaveText(/Analysed locally/);
  await expect(page.getByTestId('progress')).toHaveCount(0);
  // Pages come from the worker: the second page differs from the first.
  const first = await firstRowCells(page);
  await page.getByTestId('page-next').click();
  await expect(page.getByTestId('page-status')).toContainText('Page 2 of');
  expect(await firstRowCells(page)).not.toEqual(first);
  expect(page.workers().length).toBe(1);
});

test('the in-browser run geolocates countries from the static country database', async ({ page, context }) => {
  const fetched: string[] = [];
  context.on('request', (request) => fetched.push(new URL(request.url()).pathname));
  await openWithSample(page);
  await page.getByTestId('use-geo').check();
  await page.getByTestId('detect-local').click();
  await expect(page.getByTestId('detected-where')).toHaveText(/Analysed locally.*country-level geolocation/);
  expect(fetched).toContain('/geo/geo-whois-asn-country.mmdb');
  // Country findings need countries: the sample's travelling attacker is found by country.
  await expect(page.getByTestId('facets')).toContainText('New country');
});

test('an upload to the server shows its progress', async ({ page }) => {
  await openWithSample(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  // The sample's 750 KB at 100 KB/s: slow enough to watch.
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 100 * 1024,
  });
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('progress-words')).toContainText(/of .* sent/);
  // A run under way is not "no analysis yet", nor a list of other runs to choose from.
  await expect(page.getByTestId('empty-state')).toHaveCount(0);
  await expect(page.getByTestId('choose-run')).toHaveCount(0);
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server', { timeout: 30_000 });
  await expect(page.getByTestId('progress')).toHaveCount(0);
});

test('without the chart script the server-drawn charts stay, and nothing is reported broken', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.route('**/vendor/echarts.min.js', (route) => route.abort());
  await openWithSample(page);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  for (const chart of ['histogram', 'level-pie']) {
    await expect(page.getByTestId(chart).locator(':scope > svg')).toBeVisible();
    await expect(page.getByTestId(chart).locator('.echart')).toBeHidden();
  }
  await expect(page.getByTestId('histogram').locator('rect')).toHaveCount(20);
  expect(errors).toEqual([]);
});

test('the contamination is a choice, and an implausible one is refused by name', async ({ page }) => {
  await openWithSample(page);
  await page.getByTestId('contamination').fill('0.7');
  await page.getByTestId('contamination').blur();
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detect-error')).toContainText('isolation_forest.contamination');
  await page.getByTestId('contamination').fill('0.05');
  await page.getByTestId('contamination').blur();
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
});

for (const [device, width] of [['laptop', 1280], ['phone', 390]] as const) {
  test(`the detection choices do not overlap on a ${device}`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await page.goto('/detect');
    await expectHydrated(page);
    const boxes = await page.locator('.choices .choice-row > label').evaluateAll((labels) =>
      labels.map((label) => {
        const box = label.getBoundingClientRect();
        return { text: label.textContent?.trim() ?? '', left: box.left, right: box.right, top: box.top, bottom: box.bottom };
      }),
    );
    expect(boxes.length).toBeGreaterThanOrEqual(9);
    const fieldset = await page.locator('.choices').boundingBox();
    for (const [index, box] of boxes.entries()) {
      expect(box.right, `${box.text} stays inside the choices`).toBeLessThanOrEqual(fieldset!.x + fieldset!.width + 1);
      for (const other of boxes.slice(index + 1)) {
        const apart =
          box.right <= other.left + 1 || other.right <= box.left + 1 || box.bottom <= other.top + 1 || other.bottom <= box.top + 1;
        expect(apart, `"${box.text}" and "${other.text}" overlap`).toBe(true);
      }
    }
  });
}

test('choosing no detector is refused with a reason', async ({ page }) => {
  await openWithSample(page);
  for (const id of ['use-forest', 'use-dbscan', 'use-statistical']) {
    await page.getByTestId(id).uncheck();
  }
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detect-error')).toContainText('choose at least one detector');
});

test('a run is kept: its address opens it again after a reload', async ({ page }) => {
  await openWithSample(page);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await expect(page).toHaveURL(/\/detect\?run=[0-9a-f]{16}$/);
  const counts = await levelCounts(page);
  await page.reload();
  await expectHydrated(page);
  await expect(page.getByTestId('detection')).toBeVisible();
  expect(await levelCounts(page)).toEqual(counts);
  await expect(page.getByTestId('triage-row').first()).toBeVisible();
});

test('earlier runs are listed and open from the list', async ({ page }) => {
  await openWithSample(page);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await page.goto('/detect');
  await expectHydrated(page);
  const recent = page.getByTestId('recent-runs');
  await expect(recent).toContainText('sample-logins.csv');
  await recent.getByRole('link', { name: 'sample-logins.csv' }).first().click();
  await expect(page).toHaveURL(/\/detect\?run=/);
  await expect(page.getByTestId('detection')).toBeVisible();
});

test('a verdict with a note is saved from the side panel, re-scores the run and shows in the history', async ({ page }) => {
  await openWithSample(page);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  const before = await levelCounts(page);
  const runId = new URL(page.url()).searchParams.get('run');
  // A successful risky login: it may be confirmed safe (or compromised).
  await page.getByTestId('filter-outcome').selectOption('success');
  const row = page.getByTestId('triage-row').first();
  await expect(row.getByTestId('row-outcome')).toHaveText('Success');
  const loginId = (await row.getAttribute('data-login')) ?? '';
  expect(loginId).toMatch(/^F-[0-9a-f]{12}$/);
  await row.getByTestId('open-login').click();
  const panel = page.getByTestId('login-panel');
  await expect(panel.getByTestId('panel-login-id')).toHaveText(loginId);
  await expect(page).toHaveURL(new RegExp(`login=${loginId}`));
  await expect(panel.getByTestId('verdict-history-empty')).toHaveText('No verdict yet.');
  await expect(panel.getByTestId('verdict-confirmed_compromised')).toBeVisible();

  await panel.getByTestId('verdict-confirmed_safe').check();
  await panel.getByTestId('verdict-note').fill('the user on holiday, confirmed by phone');
  await panel.getByTestId('verdict-save').click();
  // Saved at once, then re-scored: the panel says what changed.
  await expect(panel.getByTestId('verdict-status')).toContainText('Saved');
  await expect(panel.getByTestId('verdict-status')).toContainText(/Saved and re-scored in .*: this sign-in .* → 0\.00 \(Low\)/);
  const history = panel.getByTestId('verdict-history');
  await expect(history).toContainText('Confirmed safe');
  await expect(history).toContainText('the user on holiday, confirmed by phone');
  // (Verdicts given to other logins by earlier tests count too, so only this login's effect is checked.)
  await expect(page.getByTestId('feedback-note')).toContainText(/0 allow-list entries and \d+ verdicts? \(1 login with suppressed findings\)/);
  expect(await levelCounts(page)).not.toEqual(before);
  const finding = await (await page.request.get(`/api/v1/findings/${loginId}`)).json();
  expect(finding.analyses[0].event.risk_score).toBe(0);
  expect(finding.triage.current.verdict).toBe('confirmed_safe');
  expect(finding.triage.current.comment).toBe('the user on holiday, confirmed by phone');
  await keepScreenshot(page, 'detect-triage');

  // The panel is a link: it opens again after a reload, with its history.
  await page.reload();
  await expectHydrated(page);
  await expect(page.getByTestId('login-panel').getByTestId('verdict-history')).toContainText('Confirmed safe');
  await page.getByTestId('panel-close').click();
  await expect(page.getByTestId('login-panel')).toHaveCount(0);
  await expect(page).not.toHaveURL(/login=/);

  // Dismissing changes no score: the run is back to what it was, for the tests after this one.
  const dismissed = await page.request.post(`/api/v1/findings/${loginId}/triage`, {
    data: { verdict: 'dismissed' },
  });
  expect(dismissed.ok()).toBeTruthy();
  expect((await page.request.post(`/api/v1/analyses/${runId}/rerun`)).ok()).toBeTruthy();
  await page.reload();
  await expectHydrated(page);
  await expect(page.getByTestId('detection')).toBeVisible();
  expect(await levelCounts(page)).toEqual(before);
});
