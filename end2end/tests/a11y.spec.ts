import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { expectHydrated, ROUTES, SAMPLE_PATH } from './support';

/** Scores the bundled sample on the server once; returns the run's id. */
async function scoreSample(page: Page): Promise<string> {
  await page.goto('/detect');
  await expectHydrated(page);
  await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
  await page.getByTestId('detect-server').click();
  await expect(page.getByTestId('detected-where')).toHaveText('Scored on the server');
  await expect(page).toHaveURL(/\/detect\?run=[0-9a-f]{16}/);
  return new URL(page.url()).searchParams.get('run')!;
}

/** Every page, and the pages of a kept run (dashboard with a user open, each report). */
function pagesOf(run: string): string[] {
  return [
    ...ROUTES.map((route) => route.path),
    `/detect?run=${run}`,
    `/dashboard?run=${run}`,
    `/dashboard?run=${run}&from=2031-05-02&to=2031-05-01&user=nobody-of-that-name`,
    `/reports?run=${run}`,
    `/reports?run=${run}&kind=technical`,
    `/reports?run=${run}&kind=incident&level=medium`,
  ];
}

/** The WCAG 2.1 A and AA violations axe-core finds on the page, as readable lines. */
async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations.flatMap((violation) =>
    violation.nodes.map((node) => `${violation.id}: ${node.target.join(' ')} — ${node.failureSummary?.split('\n').join(' ')}`),
  );
}

for (const theme of ['light', 'dark'] as const) {
  test(`every page meets WCAG 2.1 AA (contrast included) in the ${theme} theme`, async ({ page }) => {
    test.setTimeout(120_000);
    const run = await scoreSample(page);
    await page.addInitScript((chosen) => localStorage.setItem('skytrace-theme', chosen), theme);
    const found: string[] = [];
    for (const path of pagesOf(run)) {
      await page.goto(path);
      await expectHydrated(page);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      // The interactive charts are drawn (in the theme's colours) before checking.
      for (const chart of await page.locator('.echart').all()) {
        await expect(chart).toHaveAttribute('data-drawn', 'true');
      }
      found.push(...(await violations(page)).map((line) => `${path}: ${line}`));
    }
    expect(found).toEqual([]);
  });
}

// Folded away on the pages above: opened here, in both themes and at phone width.
test('the list of formats on the upload page meets WCAG 2.1 AA and fits 390 px', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const theme of ['light', 'dark'] as const) {
    await page.addInitScript((chosen) => localStorage.setItem('skytrace-theme', chosen), theme);
    await page.goto('/upload');
    await expectHydrated(page);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await page.getByTestId('known-formats').locator('summary').click();
    await expect(page.getByTestId('known-format').last()).toBeVisible();
    expect(await violations(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  }
});

test('the charts follow the theme', async ({ page }) => {
  const run = await scoreSample(page);
  const background = async (theme: 'light' | 'dark') => {
    await page.evaluate((chosen) => localStorage.setItem('skytrace-theme', chosen), theme);
    await page.goto(`/dashboard?run=${run}`);
    await expectHydrated(page);
    const text = page.getByTestId('trend').locator('.echart[data-drawn="true"]');
    await expect(text).toBeVisible();
    return text.evaluate((element) => {
      const echarts = (window as unknown as { echarts: { getInstanceByDom(e: Element): { getOption(): Record<string, unknown> } } }).echarts;
      const option = echarts.getInstanceByDom(element).getOption() as { legend: { textStyle: { color: string } }[] };
      return option.legend[0].textStyle.color;
    });
  };
  const light = await background('light');
  const dark = await background('dark');
  expect(light).not.toBe(dark);
});

test('every page is usable at 390 px: nothing wider than the screen', async ({ page }) => {
  test.setTimeout(120_000);
  const run = await scoreSample(page);
  await page.setViewportSize({ width: 390, height: 844 });
  const wide: string[] = [];
  for (const path of [...pagesOf(run), '/settings']) {
    await page.goto(path);
    await expectHydrated(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) {
      const culprits = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((element) => {
            const box = element.getBoundingClientRect();
            return box.right > 391 && !element.closest('.table-scroll, .scroll');
          })
          .slice(0, 5)
          .map((element) => `${element.tagName.toLowerCase()}.${[...element.classList].join('.')}`),
      );
      wide.push(`${path}: ${width} px (${culprits.join(', ')})`);
    }
  }
  expect(wide).toEqual([]);
});
