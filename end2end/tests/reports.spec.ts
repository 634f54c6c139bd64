import { expect, test, type Download, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { expectHydrated, keepScreenshot, SAMPLE_PATH } from './support';

/** Scores the bundled sample on the server and opens its reports. */
async function reportsOfSample(page: Page) {
  await page.goto('/detect');
  await expectHydrated(page);
  await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await page.getByTestId('open-reports').click();
  await expect(page).toHaveURL(/\/reports\?run=[0-9a-f]{16}/);
  await expect(page.getByTestId('report-executive')).toBeVisible();
}

async function downloaded(page: Page, testId: string): Promise<{ download: Download; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = await download.path();
  return { download, bytes: readFileSync(path) };
}

test('the executive report previews and downloads as a PDF', async ({ page }) => {
  await reportsOfSample(page);
  await expect(page.getByTestId('posture')).toContainText(/Overall posture\s*(High|Moderate|Low)/);
  await expect(page.getByTestId('recommendations').locator('li').first()).toBeVisible();
  await expect(page.getByTestId('top-incidents')).toContainText('INC-');
  await expect(page.locator('.report-chart svg').first()).toBeVisible();
  await keepScreenshot(page, 'reports-executive');

  const { download, bytes } = await downloaded(page, 'download-pdf');
  expect(download.suggestedFilename()).toMatch(/^skytrace-executive-[0-9a-f]{16}\.pdf$/);
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  expect(bytes.length).toBeGreaterThan(20_000);
});

test('incidents preview with evidence, filter by level, and download as CSV', async ({ page }) => {
  await reportsOfSample(page);
  await page.getByTestId('tab-incident').click();
  const incidents = page.getByTestId('incident');
  await expect(incidents.first()).toBeVisible();
  const firstId = (await incidents.first().getAttribute('id')) ?? '';
  expect(firstId).toMatch(/^INC-[0-9A-F]{12}$/);
  await expect(incidents.first()).toContainText('Response');
  await keepScreenshot(page, 'reports-incident');

  const { bytes } = await downloaded(page, 'download-csv');
  const csv = bytes.toString('utf8');
  expect(csv.split('\n')[0]).toContain('incident_id,kind,severity');
  expect(csv).toContain(firstId);

  await page.getByTestId('report-level').selectOption('critical');
  await page.getByTestId('report-apply').click();
  await expect(page).toHaveURL(/level=critical/);
  // The report at the new level has replaced the previous one.
  await expect(page.getByTestId('report-incident')).toContainText(/at Critical or above/i);
  await expect(incidents.first()).toBeVisible();
  const severities = await page.locator('[data-testid="incident"] h3 .level-badge').allTextContents();
  expect(severities.length).toBeGreaterThan(0);
  expect(new Set(severities)).toEqual(new Set(['Critical']));

  const events = await downloaded(page, 'download-events-csv');
  const rows = events.bytes.toString('utf8').trim().split('\n').slice(1);
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((row) => row.includes(',Critical,'))).toBe(true);
});

test('the incident report groups incidents, campaigns first, pages them, and the PDF shows its progress', async ({ page }) => {
  await reportsOfSample(page);
  const run = new URL(page.url()).searchParams.get('run')!;
  await page.goto(`/reports?run=${run}&kind=incident&level=medium`);
  await expectHydrated(page);
  const groups = page.getByTestId('incident-groups');
  await expect(groups).toContainText('Campaigns');
  await expect(groups).toContainText('Compromised accounts');
  // The headings come in the report's order, each group once.
  const headings = await page.locator('h3.incident-group').evaluateAll((all) => all.map((h) => h.id));
  const order = ['campaigns', 'compromised-accounts', 'other'];
  expect(headings).toEqual(order.filter((id) => headings.includes(id)));
  const range = (await page.getByTestId('incident-range').first().textContent()) ?? '';
  const [, from, to, total] = range.match(/Incidents ([0-9,]+)–([0-9,]+) of ([0-9,]+)/)!.map((n) => Number(n.replace(/,/g, '')));
  expect(from).toBe(1);
  expect(to).toBe(Math.min(total, 25));
  await expect(page.getByTestId('incident')).toHaveCount(to);
  if (total > 25) {
    await page.getByTestId('page-next').first().click();
    await expect(page).toHaveURL(/page=2/);
    await expect(page.getByTestId('incident-range').first()).toContainText('Incidents 26–');
  }
  // An incident named in the address opens its page; an unknown one says so.
  await page.goto(`/reports?run=${run}&kind=incident&level=medium&incident=INC-000000000000`);
  await expect(page.getByTestId('incident-not-found')).toContainText('INC-000000000000');

  // The PDF says it is being made, then what it made.
  await page.goto(`/reports?run=${run}&kind=incident&level=medium`);
  await expectHydrated(page);
  const { download, bytes } = await downloaded(page, 'download-pdf');
  expect(download.suggestedFilename()).toMatch(/^skytrace-incident-[0-9a-f]{16}\.pdf$/);
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  await expect(page.getByTestId('download-pdf-status')).toContainText(/Ready: .* in [0-9.]+ s/);
});

test('the settings page lists no channel and the analysis settings', async ({ page }) => {
  await page.goto('/settings');
  await expectHydrated(page);
  await expect(page.getByTestId('no-channels')).toContainText('No notification channel is configured');
  await page.getByText(/Detection settings/).click();
  await expect(page.getByTestId('parameters')).toContainText('isolation_forest.n_trees');
  // Every setting says what it does and its default.
  const rows = page.getByTestId('parameters').locator('tbody tr');
  expect(await rows.count()).toBeGreaterThan(40);
  const max = rows.filter({ hasText: 'rules.max_speed_kmh' });
  await expect(max.locator('td').nth(1)).toHaveText('1000.0');
  await expect(max.locator('td').nth(2)).toContainText('impossible');
  const explained = await rows.evaluateAll((all) => all.every((row) => (row.querySelectorAll('td')[2]?.textContent ?? '').length > 10));
  expect(explained).toBe(true);
  await keepScreenshot(page, 'settings-explained');
});

test('allow-list entries are added, refused with a reason, and removed on the settings page', async ({ page }) => {
  await page.goto('/settings');
  await expectHydrated(page);
  const list = page.getByTestId('allow-list');
  await expect(list.getByTestId('allow-list-empty')).toBeVisible();

  await page.getByTestId('allow-value').fill('198.51.100.7/24');
  await page.getByTestId('allow-reason').fill('office VPN');
  await page.getByTestId('allow-expires').fill('2099-12-31');
  await page.getByTestId('allow-add').click();
  const entries = list.getByTestId('allow-list-entries').locator('tbody tr');
  await expect(entries).toHaveCount(1);
  await expect(entries.first()).toContainText('addresses 198.51.100.0/24');
  await expect(entries.first()).toContainText('office VPN');
  await expect(entries.first()).toContainText('2099-12-31T23:59:59Z');

  await page.getByTestId('allow-kind').selectOption('user_country');
  await page.getByTestId('allow-value').fill('BR');
  await page.getByTestId('allow-reason').fill('travels to Brazil');
  await page.getByTestId('allow-add').click();
  await expect(page.getByTestId('allow-error')).toContainText('needs a user');
  await page.getByTestId('allow-user').fill('Alice');
  await page.getByTestId('allow-add').click();
  await expect(entries).toHaveCount(2);
  await expect(entries.nth(1)).toContainText('alice in BR');
  const viaApi = await (await page.request.get('/api/v1/allowlist')).json();
  expect(viaApi.map((entry: { value: string }) => entry.value)).toEqual(['198.51.100.0/24', 'BR']);
  await keepScreenshot(page, 'settings-allow-list');

  for (let left = 1; left >= 0; left--) {
    await entries.first().getByTestId('remove-entry').click();
    await expect(entries).toHaveCount(left);
  }
  await expect(list.getByTestId('allow-list-empty')).toBeVisible();
});

test('reports of monitored logins: the last 24 hours of a source, with downloads from the API', async ({ page }) => {
  // A source of its own, with sign-ins of the last minutes sent as a shipper sends them.
  const source = `e2e-reports-${Date.now()}`;
  const now = Date.now();
  const lines = [9, 8, 7, 6, 5].map((minutesAgo) =>
    JSON.stringify({
      timestamp: new Date(now - minutesAgo * 60_000).toISOString(),
      user_id: 'monitored.user',
      ip_address: '10.20.30.40',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/145.0.0.0 Safari/537.36',
      success: true,
    }),
  );
  const sent = await page.request.post(`/api/v1/events?source=${source}`, {
    headers: { 'content-type': 'application/x-ndjson' },
    data: lines.join('\n') + '\n',
  });
  expect(sent.status()).toBe(200);

  await page.goto('/reports');
  await expectHydrated(page);
  await expect(page.getByTestId('monitored-7d')).toHaveAttribute('href', /run=live&from=\d{4}-\d{2}-\d{2}$/);
  await page.getByTestId('monitored-24h').click();
  await expect(page).toHaveURL(/\/reports\?run=live$/);
  await page.getByTestId('report-source').fill(source);
  await page.getByTestId('report-apply').click();
  await expect(page).toHaveURL(new RegExp(`run=live&kind=executive&source=${source}&`));
  await expect(page.getByTestId('monitored-span')).toContainText(
    `Monitored logins of source ${source}: the last 24 hours`,
  );
  await expect(page.getByTestId('report-executive')).toContainText(`Monitored logins of source ${source}`);
  await expect(page.getByTestId('download-pdf')).toHaveAttribute(
    'href',
    `/api/v1/monitored/${source}/report?kind=executive&format=pdf`,
  );
  const { bytes } = await downloaded(page, 'download-csv');
  expect(bytes.toString()).toContain('totals,logins,5');

  const events = await page.request.get(`/api/v1/monitored/${source}/events`);
  expect(events.status()).toBe(200);
  expect((await events.json()).matching).toBe(5);
});
