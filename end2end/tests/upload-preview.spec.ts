import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { expectHydrated, keepScreenshot } from './support';

const FIXTURES = `${__dirname}/../../fixtures/formats`;

async function open(page: Page, path = '/upload') {
  await page.goto(path);
  await expectHydrated(page);
}

async function chooseFile(page: Page, name: string, content: string | Buffer) {
  await page.getByTestId('file-input').setInputFiles({
    name,
    mimeType: 'text/csv',
    buffer: typeof content === 'string' ? Buffer.from(content) : content,
  });
  await expect(page.getByTestId('selected-file')).toContainText(name);
}

/** A VPN export whose address column has a name Sky Trace does not know. */
const VPN_CSV =
  [
    'Event Time,Account,Client Address,Client,Result',
    '2026-03-02 07:58:12,alice,84.208.20.17,AnyConnect Windows 4.10,Accepted',
    '2026-03-02 08:12:40,bob,84.210.5.9,AnyConnect Darwin 4.10,Accepted',
    '2026-03-02 08:40:02,mallory,45.155.205.233,AnyConnect Windows 4.10,Denied',
  ].join('\n') + '\n';

test('unusual column names are previewed, the missing one is chosen in its menu, and the rows are accepted', async ({
  page,
}) => {
  await open(page);
  const attempted: string[] = [];
  page.on('request', (request) => attempted.push(request.url()));
  await chooseFile(page, 'vpn.csv', VPN_CSV);

  await expect(page.getByTestId('preview-format')).toHaveText('Recognised as CSV/TSV');
  const table = page.getByTestId('preview-table');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await expect(table.locator('tbody tr').first()).toContainText('alice');
  await expect(table.locator('thead th', { hasText: 'Event Time' })).toContainText('→ timestamp');
  await expect(table.locator('thead th', { hasText: 'Client Address' })).toContainText('passed through');

  await expect(page.getByTestId('preview-missing')).toContainText('ip_address');
  const mapping = page.getByTestId('mapping-table');
  await expect(mapping.locator('tr.missing')).toHaveCount(1);
  await expect(mapping.locator('tr.missing')).toContainText('ip_address');
  const ip = page.getByTestId('mapping-ip_address');
  await expect(ip).toHaveValue('');
  await expect(page.getByTestId('mapping-timestamp')).toHaveValue('Event Time');
  await expect(page.getByLabel('user_id', { exact: true })).toHaveValue('Account');
  await keepScreenshot(page, 'upload-preview-missing-column');

  await ip.selectOption('Client Address');
  await expect(page.getByTestId('mapping-input')).toHaveValue('ip_address=Client Address');
  await expect(page.getByTestId('preview-missing')).toHaveCount(0);
  await expect(mapping.locator('tr.missing')).toHaveCount(0);
  await expect(table.locator('thead th', { hasText: 'Client Address' })).toContainText('→ ip_address');
  await expect(table.locator('tbody tr.accepted')).toHaveCount(3);
  await expect(page.getByTestId('preview-checked')).toContainText('3 records, 3 accepted, 0 rejected');

  // The text field and the menus stay in step both ways, and a menu keeps the keyboard focus.
  await page.getByTestId('mapping-input').fill('ip_address=Client Address, user_agent=Client');
  await expect(page.getByTestId('mapping-user_agent')).toHaveValue('Client');
  // A column found by its name cannot be left out: the engine would find it again.
  await expect(page.getByTestId('mapping-success')).toHaveValue('Result');
  await expect(page.getByTestId('mapping-success').locator('option[value=""]')).toBeDisabled();
  await page.getByTestId('mapping-mfa').focus();
  await page.getByTestId('mapping-mfa').selectOption('Result');
  await expect(page.getByTestId('mapping-input')).toHaveValue(
    'ip_address=Client Address, user_agent=Client, mfa=Result',
  );
  await expect(page.getByTestId('mapping-mfa')).toBeFocused();
  await page.getByTestId('mapping-mfa').selectOption('');
  await expect(page.getByTestId('mapping-input')).toHaveValue('ip_address=Client Address, user_agent=Client');

  await page.getByTestId('profile-local').click();
  await expect(page.getByTestId('analysed-where')).toHaveText(/Analysed locally/);
  await expect(page.getByTestId('rows-read')).toHaveText('3');
  await expect(page.getByTestId('accepted')).toHaveText('3');
  await expect(page.getByTestId('rejected')).toHaveText('0');
  // The preview and the local check read the file in the page only.
  expect(attempted.filter((url) => !url.includes('/pkg/'))).toEqual([]);
});

test('a JSON log shows the fields its reader takes, and an unreadable file says why', async ({ page }) => {
  await open(page, '/detect');
  await page.getByTestId('file-input').setInputFiles(`${FIXTURES}/okta-systemlog.jsonl`);
  await expect(page.getByTestId('preview-format')).toHaveText('Recognised as Okta System Log');
  await expect(page.getByTestId('preview-table').locator('thead')).toContainText('user_id');
  await expect(page.getByTestId('preview-table').locator('tbody tr.skipped')).toHaveCount(3);
  await expect(page.getByTestId('preview')).toContainText('read from each record');
  await expect(page.getByTestId('mapping-table')).toContainText('in 2 of the 5 accepted records shown');
  await expect(page.getByTestId('mapping-table').locator('select')).toHaveCount(0);

  await chooseFile(page, 'image.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]));
  await expect(page.getByTestId('preview-error')).toContainText('not a text log file');
  await expect(page.getByTestId('preview-table')).toHaveCount(0);
});

/** `good` valid logins and `bad` rows with an unreadable time, alternating. */
function withBadRows(good: number, bad: number): string {
  const lines = ['timestamp,user_id,ip_address,user_agent,success'];
  for (let i = 0; i < Math.max(good, bad); i++) {
    if (i < good) lines.push(`2026-03-02T08:${String(i % 60).padStart(2, '0')}:00Z,user${i},10.0.0.${i % 250},curl/8.0,true`);
    if (i < bad) lines.push(`soon,user${i},10.0.0.${i % 250},"Mozilla/5.0 (X11, Linux)",false`);
  }
  return lines.join('\n') + '\n';
}

async function downloadRejections(page: Page): Promise<string[]> {
  const download = page.waitForEvent('download');
  await page.getByTestId('download-rejections').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('bad-rows-rejected.csv');
  const path = await file.path();
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
}

test('the rejected rows download as CSV: every one when checked locally, the first 100 from the server', async ({
  page,
}) => {
  await open(page);
  await chooseFile(page, 'bad-rows.csv', withBadRows(20, 150));
  await expect(page.getByTestId('preview-table').locator('tbody tr.rejected')).toHaveCount(5);

  await page.getByTestId('profile-local').click();
  await expect(page.getByTestId('analysed-where')).toHaveText(/Analysed locally/);
  await expect(page.getByTestId('rejected')).toHaveText('150');
  await expect(page.getByTestId('download-rejections-note')).toHaveText('The download has all 150.');
  const local = await downloadRejections(page);
  expect(local).toHaveLength(151);
  expect(local[0]).toBe('row,line,reason');
  expect(local[1]).toMatch(/^2,3,"?bad timestamp/);
  expect(local[150]).toMatch(/^170,171,/);

  await page.getByTestId('profile-server').click();
  await expect(page.getByTestId('analysed-where')).toHaveText('Analysed on the server');
  await expect(page.getByTestId('download-rejections-note')).toContainText('only the first 100');
  await expect(page.getByTestId('download-rejections-note')).toContainText('Check locally');
  const fromServer = await downloadRejections(page);
  expect(fromServer).toHaveLength(101);
  expect(fromServer.slice(0, 101)).toEqual(local.slice(0, 101));
});
