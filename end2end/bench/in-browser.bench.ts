import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A generated log (`skytrace generate --users N`), chosen by ./dev bench-browser.
const FILE = process.env.SKYTRACE_BENCH_FILE ?? '';
const RUNS = Number(process.env.SKYTRACE_BENCH_RUNS ?? 3);
const OUT = join(__dirname, '..', '..', 'target', 'bench', 'in-browser.json');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The resident memory of Chromium's largest renderer process (the tab, with its web worker), in
 * MiB: what the operating system holds for the page, wasm memory included. */
function rendererMiB(): number {
  const lines = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8' }).split('\n');
  const renderers = lines
    .filter((line) => line.includes('--type=renderer'))
    .map((line) => Number(line.trim().split(/\s+/)[0]) / 1024);
  return renderers.length ? Math.max(...renderers) : 0;
}

/** Runs the in-browser analysis once: wall time from the click to the results, the engine's own
 * time as the page reports it, the longest stall of the page's thread meanwhile, and the tab's
 * peak resident memory (sampled every 100 ms). */
async function runOnce(page: Page) {
  let peakMiB = rendererMiB();
  const sampler = setInterval(() => {
    peakMiB = Math.max(peakMiB, rendererMiB());
  }, 100);
  await page.evaluate(() => {
    const probe = window as unknown as { stalls: number[]; timer: number };
    probe.stalls = [];
    let last = performance.now();
    probe.timer = window.setInterval(() => {
      const now = performance.now();
      probe.stalls.push(now - last);
      last = now;
    }, 10);
  });
  const button = page.getByTestId('detect-local');
  const started = Date.now();
  await button.click();
  await expect(button).toBeDisabled();
  await expect(button).toBeEnabled({ timeout: 300_000 });
  const wallMs = Date.now() - started;
  await expect(page.getByTestId('detected-where')).toContainText('Analysed locally');
  const counts = (await page.getByTestId('detection-counts').textContent()) ?? '';
  // "… scoring the file in this browser took 840 ms" or "… took 5.2 s".
  const timing = (await page.getByTestId('detection-timing').textContent()) ?? '';
  const took = /in this browser took ([\d.,]+) (ms|s)\b/.exec(timing);
  const engineMs = took
    ? Number(took[1].replace(/,/g, '')) * (took[2] === 's' ? 1000 : 1)
    : NaN;
  const logins = Number(/^([\d,]+) logins scored/.exec(counts.trim())?.[1].replace(/,/g, '') ?? NaN);
  const longestStallMs = await page.evaluate(() => {
    const probe = window as unknown as { stalls: number[]; timer: number };
    window.clearInterval(probe.timer);
    return Math.max(...probe.stalls);
  });
  clearInterval(sampler);
  peakMiB = Math.max(peakMiB, rendererMiB());
  return { wallMs, engineMs, logins, longestStallMs, peakMiB: Math.round(peakMiB) };
}

test('in-browser analysis of a large log, in a web worker', async ({ page }) => {
  expect(FILE, 'set SKYTRACE_BENCH_FILE (./dev bench-browser does)').not.toBe('');
  await page.goto('/detect');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('file-input').setInputFiles(FILE);
  const results: Record<string, unknown> = { file: FILE, bytes: statSync(FILE).size };
  for (const geolocation of [false, true]) {
    await page.getByTestId('use-geo').setChecked(geolocation);
    const runs = [];
    for (let run = 0; run < RUNS; run++) runs.push(await runOnce(page));
    const summary = {
      logins: runs[0].logins,
      wall_ms_median: median(runs.map((run) => run.wallMs)),
      engine_ms_median: median(runs.map((run) => run.engineMs)),
      longest_page_stall_ms_median: median(runs.map((run) => run.longestStallMs)),
      tab_peak_mib_max: Math.max(...runs.map((run) => run.peakMiB)),
      runs,
    };
    results[geolocation ? 'country_geolocation' : 'no_geolocation'] = summary;
    console.log(`geolocation ${geolocation ? 'country' : 'off'}: ${JSON.stringify(summary)}`);
  }
  mkdirSync(join(OUT, '..'), { recursive: true });
  writeFileSync(OUT, JSON.stringify(results, null, 2));
});
