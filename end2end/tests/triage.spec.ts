import { expect, test, type Page } from '@playwright/test';
import { expectHydrated, keepScreenshot, SAMPLE_PATH } from './support';

async function detectSample(page: Page) {
  await page.goto('/detect');
  await expectHydrated(page);
  await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await expect(page.getByTestId('triage-row').first()).toBeVisible();
}

test('the grid filters by outcome, detection and level, and sorts by user', async ({ page }) => {
  await detectSample(page);
  const rows = page.getByTestId('triage-row');
  // A detection's facet chip filters by it; every row then carries that chip.
  await page.getByTestId('facets').locator('[data-testid^="facet-"]').first().click();
  await expect(page).toHaveURL(/detection=/);
  const detection = new URL(page.url()).searchParams.get('detection')!;
  await expect(page.getByTestId('filter-detection')).toHaveValue(detection);
  for (const row of await rows.all()) {
    await expect(row.locator(`[data-detection="${detection}"]`)).toHaveCount(1);
  }
  await page.getByTestId('clear-filters').click();
  await expect(page).not.toHaveURL(/detection=/);

  await page.getByTestId('filter-level').selectOption('all');
  await page.getByTestId('filter-outcome').selectOption('failure');
  await expect(page).toHaveURL(/outcome=failure/);
  // The page is fetched again: wait for it rather than read the rows it replaces.
  await expect.poll(async () => new Set(await rows.getByTestId('row-outcome').allTextContents())).toEqual(
    new Set(['Failure']),
  );
  const users = async () => (await rows.locator('.cell-user').allTextContents()).map((user) => user.toLowerCase());
  const sorted = (names: string[], descending: boolean) => {
    const expected = [...names].sort();
    return JSON.stringify(names) === JSON.stringify(descending ? expected.reverse() : expected);
  };
  await page.getByTestId('sort-user').click();
  await expect(page.getByTestId('sort-user').locator('..')).toHaveAttribute('aria-sort', 'ascending');
  await expect.poll(async () => sorted(await users(), false)).toBe(true);
  await page.getByTestId('sort-user').click();
  await expect(page.getByTestId('sort-user').locator('..')).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(async () => sorted(await users(), true)).toBe(true);
  expect(new Set(await users()).size).toBeGreaterThan(1);

  // A filter that cannot match says why, by the field.
  await page.getByTestId('filter-source').fill('10.0.0.0/16');
  await page.getByTestId('filter-source').press('Enter');
  await expect(page.getByTestId('problem-source')).toContainText('10.0.0.0/24');
  await page.getByTestId('filter-source').fill('');
  await page.getByTestId('filter-source').press('Enter');
  await expect(page.getByTestId('problem-source')).toHaveCount(0);
  await page.getByTestId('filter-user').fill('nobody-of-that-name');
  await page.getByTestId('filter-user').press('Enter');
  await expect(page.getByTestId('problem-user')).toContainText('No user of this run matches');
});

test('the side panel lays out the evidence, and a failed login is an attack attempt, never compromised', async ({
  page,
}) => {
  await detectSample(page);
  await page.getByTestId('filter-outcome').selectOption('failure');
  const row = page.getByTestId('triage-row').first();
  await expect(row.getByTestId('row-outcome')).toHaveText('Failure');
  await row.click();
  const panel = page.getByTestId('login-panel');
  await expect(panel.getByTestId('panel-summary')).toContainText('Failure');
  // This login beside the user's usual, the one before, each detector's part in words.
  await expect(panel.getByTestId('panel-this')).toContainText('Network');
  await expect(panel.getByTestId('panel-usual')).toContainText('Beside the user\'s usual');
  await expect(panel.getByTestId('panel-previous')).toContainText('The sign-in before');
  const families = panel.getByTestId('family');
  await expect(families).toHaveCount(4);
  await expect(families.nth(0)).toContainText('Isolation Forest');
  await expect(families.nth(3)).toContainText('Rules');
  await expect(panel.getByTestId('panel-combination')).toContainText(/Scored|calibrated model|analyst/);
  await expect(panel.getByTestId('panel-reasons').locator('li').first()).toBeVisible();

  // The verdicts a failed login can have.
  await expect(panel.getByTestId('verdict-confirmed_compromised')).toHaveCount(0);
  await expect(panel.getByTestId('verdict-attack_attempt')).toBeVisible();
  const loginId = (await panel.getByTestId('panel-login-id').textContent())!;
  await panel.getByTestId('verdict-attack_attempt').check();
  await panel.getByTestId('verdict-note').fill('password spraying from a hosting network');
  await panel.getByTestId('verdict-save').click();
  await expect(panel.getByTestId('verdict-status')).toContainText('Saved');
  await expect(panel.getByTestId('verdict-history')).toContainText('Attack attempt');
  await expect(panel.getByTestId('verdict-history')).toContainText('password spraying from a hosting network');
  await expect(panel.getByTestId('verdict-status')).toContainText('re-scored in');
  await expect(page.locator(`[data-testid="triage-row"][data-login="${loginId}"]`).getByTestId('row-verdict')).toHaveText(
    'Attack attempt',
  );
  // The server refuses what the panel does not offer.
  const refused = await page.request.post(`/api/v1/findings/${loginId}/triage`, {
    data: { verdict: 'confirmed_compromised' },
  });
  expect(refused.status()).toBe(400);

  // Back to no effect on scores, for the tests after this one.
  const runId = new URL(page.url()).searchParams.get('run');
  expect(
    (await page.request.post(`/api/v1/findings/${loginId}/triage`, { data: { verdict: 'dismissed' } })).ok(),
  ).toBeTruthy();
  expect((await page.request.post(`/api/v1/analyses/${runId}/rerun`)).ok()).toBeTruthy();
});

test('at phone width the grid is a list of cards and the panel a full-screen sheet', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await detectSample(page);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(await overflow()).toBeLessThanOrEqual(0);
  const row = page.getByTestId('triage-row').first();
  const box = (await row.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  // Each cell says what it is.
  await expect(row.locator('.cell-outcome')).toHaveAttribute('data-label', 'Outcome');
  await row.getByTestId('open-login').click();
  const panel = page.getByTestId('login-panel');
  await expect(panel.getByTestId('panel-summary')).toBeVisible();
  const sheet = (await panel.boundingBox())!;
  expect(sheet.x).toBe(0);
  expect(sheet.width).toBe(390);
  await panel.getByTestId('verdict-form').scrollIntoViewIfNeeded();
  await expect(panel.getByTestId('verdict-save')).toBeVisible();
  expect(await overflow()).toBeLessThanOrEqual(0);
  await keepScreenshot(page, 'triage-phone-panel');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
});
