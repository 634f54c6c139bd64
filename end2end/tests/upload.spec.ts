import { expect, test, type Page } from '@playwright/test';
import {
  expectHydrated,
  keepScreenshot,
  readStats,
  SAMPLE_PATH,
  sampleDataRows,
  UPLOAD_LIMIT_MB,
} from './support';

const thousands = (value: number) => value.toLocaleString('en-US');

async function openUpload(page: Page) {
  await page.goto('/upload');
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

test('the sample is profiled by the server function', async ({ page }) => {
  await openUpload(page);
  await page.getByTestId('use-sample').click();
  await expect(page.getByTestId('selected-file')).toContainText('sample-logins.csv');
  const upload = page.waitForRequest((request) => request.url().endsWith('/_sfn/profile'));
  await page.getByTestId('profile-server').click();
  expect((await upload).method()).toBe('POST');
  await expect(page.getByTestId('analysed-where')).toHaveText('Analysed on the server');
  const rows = sampleDataRows();
  await expect(page.getByTestId('rows-read')).toHaveText(thousands(rows));
  await expect(page.getByTestId('accepted')).toHaveText(thousands(rows));
  await expect(page.getByTestId('rejected')).toHaveText('0');
  await expect(page.getByTestId('no-rejections')).toBeVisible();
  await keepScreenshot(page, 'upload-profiled-on-server');
});

test('"check locally" gives the same profile with every network request blocked', async ({ page }) => {
  await openUpload(page);
  await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
  await page.getByTestId('profile-server').click();
  await expect(page.getByTestId('analysed-where')).toHaveText('Analysed on the server');
  const fromServer = await readStats(page);

  const attempted: string[] = [];
  await page.route('**/*', (route) => {
    attempted.push(route.request().url());
    return route.abort();
  });
  await page.getByTestId('profile-local').click();
  await expect(page.getByTestId('analysed-where')).toHaveText(/Analysed locally/);
  expect(await readStats(page)).toEqual(fromServer);
  expect(attempted).toEqual([]);
  await keepScreenshot(page, 'upload-profiled-locally');
});

test('rejected rows are listed with line number and reason, and the counts add up', async ({ page }) => {
  await openUpload(page);
  const csv = [
    'timestamp,user_id,ip_address,user_agent,success',
    '2026-03-02T08:15:03Z,alice,84.208.20.17,Mozilla/5.0,true',
    'yesterday,bob,84.208.20.18,Mozilla/5.0,true',
    '2026-03-02T08:17:03Z,carol,999.1.1.1,Mozilla/5.0,false',
    '2026-03-02T08:18:03Z,dave,2001:db8::1,Mozilla/5.0,maybe',
    '2026-03-02T08:19:03Z,erin,10.0.0.1,curl/8.0,0',
  ].join('\n');
  await chooseFile(page, 'mixed.csv', csv);
  await page.getByTestId('profile-server').click();
  await expect(page.getByTestId('rows-read')).toHaveText('5');
  await expect(page.getByTestId('accepted')).toHaveText('2');
  await expect(page.getByTestId('rejected')).toHaveText('3');
  const rows = page.getByTestId('rejections').locator('tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText('3');
  await expect(rows.nth(0)).toContainText('bad timestamp');
  await expect(rows.nth(1)).toContainText('bad ip_address "999.1.1.1"');
  await expect(rows.nth(2)).toContainText('bad success value "maybe"');
});

const badFiles: [string, string | Buffer, RegExp][] = [
  ['empty.csv', '', /the file is empty/],
  ['header-only.csv', 'timestamp,user_id,ip_address,user_agent\n', /header but no data rows/],
  ['missing.csv', 'time,user\n2026-01-01T00:00:00Z,alice\n', /missing required column: ip_address/],
  ['binary.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]), /not a text log file/],
];

for (const [name, content, message] of badFiles) {
  for (const where of ['server', 'local'] as const) {
    test(`${name} gets one clear message (${where})`, async ({ page }) => {
      await openUpload(page);
      await chooseFile(page, name, content);
      await page.getByTestId(where === 'server' ? 'profile-server' : 'profile-local').click();
      await expect(page.getByTestId('profile-error')).toContainText(message);
      await expect(page.getByTestId('profile')).toHaveCount(0);
      await expectHydrated(page);
    });
  }
}

test('a file over the upload limit is refused with the limit named', async ({ page }) => {
  await openUpload(page);
  const header = 'timestamp,user_id,ip_address,user_agent\n';
  const row = '2026-03-02T08:15:03Z,alice,84.208.20.17,Mozilla/5.0 (X11; Linux x86_64)\n';
  const big = header + row.repeat(Math.ceil((UPLOAD_LIMIT_MB * 1024 * 1024 * 1.2) / row.length));
  await chooseFile(page, 'big.csv', big);
  await page.getByTestId('profile-server').click();
  await expect(page.getByTestId('profile-error')).toContainText(
    `the server accepts uploads up to ${UPLOAD_LIMIT_MB}.0 MB`,
  );
  await keepScreenshot(page, 'upload-too-large');
});

test('the server answers an oversized upload with a clear 413', async ({ request }) => {
  const response = await request.post('/_sfn/profile', {
    multipart: {
      file: {
        name: 'big.csv',
        mimeType: 'text/csv',
        buffer: Buffer.alloc(UPLOAD_LIMIT_MB * 1024 * 1024 + 1024, 'a'),
      },
    },
  });
  expect(response.status()).toBe(413);
  expect(await response.text()).toContain(`uploads are limited to ${UPLOAD_LIMIT_MB}.0 MB`);
});

const FIXTURES = `${__dirname}/../../fixtures/formats`;

/**
 * One fixture per format and variant in fixtures/formats: the format the profile names and its
 * exact records read, accepted, rejected and skipped (the engine's tests in
 * engine/tests/it/formats.rs check the same counts). vpn-export.tsv needs a column mapping: the
 * test after these reads it.
 */
const FORMAT_FIXTURES = [
  ['skytrace.csv', 'CSV/TSV', 6, 6, 0, 0],
  ['entra-signins.csv', 'Entra ID CSV, UTF-8 with BOM', 8, 7, 1, 0],
  ['entra-signins-excel.txt', 'Entra ID CSV, UTF-16 LE', 8, 7, 1, 0],
  ['entra-graph.json', 'Entra ID JSON', 5, 4, 1, 0],
  ['entra-loganalytics.json', 'Entra ID JSON', 5, 5, 0, 0],
  ['entra-diagnostic.jsonl', 'Entra ID JSON', 8, 6, 1, 1],
  ['entra-diagnostic-workloads.json', 'Entra ID JSON', 5, 3, 1, 1],
  ['okta-systemlog.json', 'Okta System Log', 9, 5, 1, 3],
  ['okta-systemlog.jsonl', 'Okta System Log', 10, 5, 2, 3],
  ['okta-eventhook.json', 'Okta System Log', 10, 6, 1, 3],
  ['cloudtrail-consolelogin.json', 'AWS CloudTrail', 9, 5, 1, 3],
  ['cloudtrail-consolelogin.json.gz', 'AWS CloudTrail, gzip', 9, 5, 1, 3],
  ['google-workspace-login.json', 'Google Workspace login audit', 8, 6, 1, 1],
  ['google-workspace-login.jsonl', 'Google Workspace login audit', 7, 5, 1, 1],
  ['auth0-logs.json', 'Auth0 tenant logs', 9, 7, 1, 1],
  ['auth0-stream-batch.json', 'Auth0 tenant logs', 8, 6, 1, 1],
  ['auth0-stream.jsonl', 'Auth0 tenant logs', 8, 6, 1, 1],
  ['m365-audit-aad.json', 'Microsoft 365 audit', 8, 5, 1, 2],
  ['windows-winlogbeat.jsonl', 'Windows logon events', 7, 4, 1, 2],
  ['ecs-authentication.jsonl', 'Elastic Common Schema', 6, 3, 1, 2],
  ['ecs-authentication-dotted.json', 'Elastic Common Schema', 6, 3, 1, 2],
  ['ocsf-authentication.jsonl', 'OCSF Authentication', 6, 3, 1, 2],
  ['auth.log', 'auth.log (sshd)', 21, 11, 1, 9],
  ['rba-sample.csv', 'RBA dataset', 7, 6, 1, 0],
] as const;

for (const [file, format, read, accepted, rejected, skipped] of FORMAT_FIXTURES) {
  test(`${file} is recognised and profiled the same on the server and locally`, async ({ page }) => {
    await openUpload(page);
    await page.getByTestId('file-input').setInputFiles(`${FIXTURES}/${file}`);
    for (const where of ['profile-server', 'profile-local']) {
      await page.getByTestId(where).click();
      await expect(page.getByTestId('analysed-where')).toHaveText(
        where === 'profile-server' ? 'Analysed on the server' : /Analysed locally/,
      );
      await expect(page.getByTestId('format')).toHaveText(format);
      await expect(page.getByTestId('rows-read')).toHaveText(String(read));
      await expect(page.getByTestId('accepted')).toHaveText(String(accepted));
      await expect(page.getByTestId('rejected')).toHaveText(String(rejected));
      await expect(page.getByTestId('skipped')).toHaveText(String(skipped));
    }
    if (file === 'okta-systemlog.jsonl') {
      await expect(page.getByTestId('skipped-kinds')).toContainText('user.account.lock (1)');
      await expect(page.getByTestId('rejections')).toContainText('line 6');
    }
  });
}

for (const where of ['profile-server', 'profile-local']) {
  test(`a Google Workspace export of another application is refused with what it is (${where})`, async ({ page }) => {
    await openUpload(page);
    await page.getByTestId('file-input').setInputFiles(`${FIXTURES}/google-workspace-drive.json`);
    await page.getByTestId(where).click();
    await expect(page.getByTestId('profile-error')).toContainText(
      'this looks like a Google Workspace admin activity export, but not its login application ' +
        '(applicationName=drive); Sky Trace reads Entra ID JSON, Okta System Log',
    );
    await expect(page.getByTestId('profile')).toHaveCount(0);
  });
}

test('the page lists every format it reads, with where to get the export', async ({ page }) => {
  await openUpload(page);
  const formats = page.getByTestId('known-format');
  await expect(formats.first()).toBeHidden();
  await page.getByTestId('known-formats').locator('summary').click();
  // The format menu offers the same formats, after "Recognise automatically".
  const offered = (await page.getByTestId('format-select').locator('option').count()) - 1;
  await expect(formats).toHaveCount(offered);
  for (const format of new Set(FORMAT_FIXTURES.map(([, format]) => format.split(',')[0]))) {
    await expect(formats.filter({ hasText: format })).toHaveCount(1);
  }
  await expect(formats.locator('.where')).toHaveCount(offered);
  await expect(formats.filter({ hasText: 'Google Workspace login audit' })).toContainText(
    'Where to get it: Admin SDK Reports API activities.list with applicationName=login',
  );
});

test('a CSV with unusual column names is read with the column mapping', async ({ page }) => {
  await openUpload(page);
  await page.getByTestId('file-input').setInputFiles(`${FIXTURES}/vpn-export.tsv`);
  await page.getByTestId('profile-server').click();
  await expect(page.getByTestId('profile-error')).toContainText('missing required column: ip_address');
  await page.getByTestId('mapping-input').fill('ip_address=Client Address, user_id=Account');
  await page.getByTestId('profile-server').click();
  await expect(page.getByTestId('accepted')).toHaveText('4');
  await expect(page.getByTestId('rejected')).toHaveText('1');
  await page.getByTestId('profile-local').click();
  await expect(page.getByTestId('analysed-where')).toHaveText(/Analysed locally/);
  await expect(page.getByTestId('accepted')).toHaveText('4');
  await keepScreenshot(page, 'upload-mapped-columns');
});

test('upload, profile, analyse: one pick of the file, the preview folds away once read', async ({ page }) => {
  await openUpload(page);
  await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
  await expect(page.getByTestId('preview-table')).toBeVisible();
  await page.getByTestId('profile-server').click();
  await expect(page.getByTestId('analysed-where')).toHaveText('Analysed on the server');
  // Accepted: the picker, options and preview fold into one line that says what was read.
  const rows = thousands(sampleDataRows());
  await expect(page.getByTestId('log-summary')).toContainText(`Read ${rows} rows of sample-logins.csv`);
  await expect(page.getByTestId('log-reading')).not.toHaveAttribute('open', '');
  await expect(page.getByTestId('preview-table')).toBeHidden();

  await page.getByTestId('analyse-this').click();
  await expect(page).toHaveURL(/\/detect$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Detection');
  // The same file, ready: nothing to choose again, and no "no analysis yet".
  await expect(page.getByTestId('ready')).toContainText(`Read ${rows} rows of sample-logins.csv`);
  await expect(page.getByTestId('selected-file')).toContainText('sample-logins.csv');
  await expect(page.getByTestId('empty-state')).toHaveCount(0);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await expect(page.getByTestId('log-reading')).not.toHaveAttribute('open', '');
  await expect(page.getByTestId('triage-row').first()).toBeVisible();
  // The fold opens again to choose another log.
  await page.getByTestId('log-summary').click();
  await expect(page.getByTestId('file-input')).toBeAttached();
  await expect(page.getByTestId('preview-table')).toBeVisible();
});
