import { expect, test } from '@playwright/test';
import { expectHydrated, expectSecurityHeaders, watchPolicyViolations } from './support';

// Against a second server started with --auth (see playwright.config.ts), with an analyst and an
// admin made by `skytrace user add` before it started.
export const ANALYST = { name: 'ana', password: 'analyst-password-1' };
export const ADMIN = { name: 'root', password: 'admin-password-12' };

async function signIn(page: import('@playwright/test').Page, who: { name: string; password: string }) {
  await page.getByLabel('Account').fill(who.name);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('hosted mode: sign in, roles, sign out', async ({ page, context }) => {
  // A deep link leads to the sign-in form and back.
  await page.goto('/detect');
  await expect(page).toHaveURL(/\/login\?next=%2Fdetect$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  await signIn(page, { name: ANALYST.name, password: 'not-the-password' });
  await expect(page.getByTestId('login-problem')).toHaveText('Wrong account name or password.');
  await expect(page).toHaveURL(/status=failed&next=%2Fdetect$/);

  await signIn(page, ANALYST);
  await expect(page).toHaveURL(/\/detect$/);
  await expect(page.getByRole('heading', { name: 'Detection', level: 1 })).toBeVisible();
  await expect(page.getByTestId('account')).toContainText('ana · analyst');
  const cookie = (await context.cookies()).find((c) => c.name === 'skytrace_session');
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Lax');
  expect(cookie?.secure).toBe(true);

  // An analyst cannot read the server's settings nor change the allow-list.
  await page.goto('/settings');
  await expectHydrated(page);
  await expect(page.getByRole('alert').first()).toContainText('only an admin may see the server');
  await page.getByTestId('allow-value').fill('198.51.100.0/24');
  await page.getByTestId('allow-reason').fill('office VPN');
  await page.getByTestId('allow-add').click();
  await expect(page.getByTestId('allow-error')).toContainText('only an admin may change the allow-list');

  // Another site's page cannot act with the analyst's cookie.
  const forged = await page.evaluate(async () => {
    const response = await fetch('/api/v1/analyses/unknown/rerun', { method: 'POST', credentials: 'include' });
    return response.status;
  });
  expect(forged).toBe(404); // same-origin fetch: allowed through, and the run is unknown

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?status=signed_out$/);
  await page.goto('/upload');
  await expect(page).toHaveURL(/\/login\?next=%2Fupload$/);

  // An admin sees the settings and may change the allow-list.
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/upload$/);
  await page.goto('/settings');
  await expectHydrated(page);
  await expect(page.getByTestId('account')).toContainText('root · admin');
  await expect(page.getByTestId('parameters')).toContainText('isolation_forest.n_trees');
  await page.getByTestId('allow-value').fill('198.51.100.0/24');
  await page.getByTestId('allow-reason').fill('office VPN');
  await page.getByTestId('allow-add').click();
  await expect(page.getByTestId('allow-list-entries')).toContainText('root');
  await page.getByTestId('remove-entry').click();
  await expect(page.getByTestId('allow-list-empty')).toBeVisible();
});

test('hosted mode: a cross-site form cannot act with the session', async ({ page, request }) => {
  await page.goto('/login');
  await signIn(page, ANALYST);
  await expect(page.getByTestId('account')).toBeVisible();
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'skytrace_session')!;
  // What a browser sends when another site's page posts here.
  const response = await request.post('/api/v1/analyses/unknown/rerun', {
    headers: { Cookie: `skytrace_session=${session.value}`, 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
  });
  expect(response.status()).toBe(403);
  expect((await response.json()).code).toBe('cross_site');
});

test('hosted mode: the same security headers, and the signed-in app runs under them', async ({ page, request }) => {
  const violations = await watchPolicyViolations(page);
  const login = await page.goto('/login');
  expectSecurityHeaders(login!, true);
  await expectHydrated(page);
  await signIn(page, ANALYST);
  await expect(page.getByTestId('account')).toBeVisible();
  const detect = await page.goto('/detect');
  expectSecurityHeaders(detect!, true);
  await expectHydrated(page);
  const refused = await request.get('/api/v1/analyses');
  expect(refused.status()).toBe(401);
  expect(refused.headers()['content-type']).toBe('application/problem+json');
  expectSecurityHeaders(refused, false);
  expect(await violations()).toEqual([]);
});

test('hosted mode: an admin makes an ingest token for a shipper, which only sends events, and revokes it', async ({
  page,
  request,
}) => {
  await page.goto('/login?next=%2Fsettings');
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/settings$/);
  await expectHydrated(page);
  const label = `Fluent Bit ${Date.now()}`;
  await page.getByTestId('token-label').fill(label);
  await expect(page.getByTestId('token-scope-choice')).toHaveValue('ingest');
  await page.getByTestId('token-create').click();
  await expect(page.getByTestId('token-created')).toContainText('not shown again');
  const secret = (await page.getByTestId('token-secret').textContent())!.trim();
  expect(secret).toMatch(/^skt_[0-9a-f]{64}$/);
  const row = page.getByTestId('token-row').filter({ hasText: label });
  await expect(row.getByTestId('token-scope')).toHaveText('ingest');

  const bearer = { authorization: `Bearer ${secret}` };
  const sent = await request.post('/api/v1/events?source=e2e-hosted', {
    headers: { ...bearer, 'content-type': 'application/x-ndjson' },
    data:
      JSON.stringify({
        timestamp: new Date().toISOString(),
        user_id: 'shipped.user',
        ip_address: '10.1.2.3',
        success: true,
      }) + '\n',
  });
  expect(sent.status()).toBe(200);
  const reads = await request.get('/api/v1/analyses', { headers: bearer });
  expect(reads.status()).toBe(403);
  expect((await reads.json()).code).toBe('token_scope');

  await row.getByTestId('revoke-token').click();
  await expect(page.getByTestId('token-row').filter({ hasText: label })).toHaveCount(0);
  const revoked = await request.post('/api/v1/events', {
    headers: { ...bearer, 'content-type': 'application/x-ndjson' },
    data: '{}\n',
  });
  expect(revoked.status()).toBe(401);
});
