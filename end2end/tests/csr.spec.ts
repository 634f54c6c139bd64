import { expect, test } from '@playwright/test';
import { collectErrors, expectInteractiveChart, keepScreenshot, sampleDataRows } from './support';

// The Trunk build, served as plain static files: no Sky Trace server anywhere.
test('the offline build opens and profiles the sample in the browser', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/upload');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upload sign-in logs');
  await expect(page.getByTestId('profile-server')).toHaveCount(0);
  await page.getByTestId('use-sample').click();
  await expect(page.getByTestId('selected-file')).toContainText('sample-logins.csv');
  await page.getByTestId('profile-local').click();
  await expect(page.getByTestId('analysed-where')).toHaveText(/Analysed locally/);
  await expect(page.getByTestId('rows-read')).toHaveText(sampleDataRows().toLocaleString('en-US'));
  await keepScreenshot(page, 'csr-upload');
  expect(errors).toEqual([]);
});

test('the offline build navigates between pages', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('needs-server')).toContainText('this offline build has none');
});

test('the offline build says reports and settings need the server, without failed requests', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Reports' }).click();
  await expect(page.getByTestId('needs-server')).toContainText('Reports are typeset by the Sky Trace server');
  await nav.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByTestId('needs-server')).toContainText('This offline build has no server');
  expect(errors).toEqual([]);
});

test('the offline build scores the sample in a web worker, with countries from its static data', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/detect');
  await expect(page.getByTestId('detect-server')).toHaveCount(0);
  await page.getByTestId('use-sample').click();
  await expect(page.getByTestId('selected-file')).toContainText('sample-logins.csv');
  await page.getByTestId('use-geo').check();
  await page.getByTestId('detect-local').click();
  await expect(page.getByTestId('detected-where')).toHaveText(/Analysed locally.*country-level geolocation/);
  expect(page.workers().length).toBe(1);
  await expect(page.getByTestId('triage-row').first()).toBeVisible();
  // The evidence of a login scored in the browser; verdicts need the server.
  await page.getByTestId('triage-row').first().getByTestId('open-login').click();
  await expect(page.getByTestId('login-panel').getByTestId('family')).toHaveCount(4);
  await expect(page.getByTestId('panel-verdict')).toContainText('Verdicts are kept on the server');
  await page.getByTestId('panel-close').click();
  // The interactive charts come from the build's own copy of ECharts.
  const histogram = await expectInteractiveChart(page, 'histogram');
  expect(histogram.series[0].points).toBeGreaterThan(0);
  await page.getByTestId('page-next').click();
  await expect(page.getByTestId('page-status')).toContainText('Page 2 of');
  await keepScreenshot(page, 'csr-detect');
  expect(errors).toEqual([]);
});
