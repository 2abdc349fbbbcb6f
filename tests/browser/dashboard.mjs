// The dashboard in a real browser: Debian's headless Chromium driven by playwright-core.
//
//   BASE_URL=http://127.0.0.1:8080 EDITOR_KEY=... SCREENSHOT=../../docs/dashboard.png node dashboard.mjs
//
// BASE_URL     a running talentflow with the demo data (required)
// EDITOR_KEY   an editor key, to post a move through the API (required)
// SCREENSHOT   where to save a full-page PNG (optional)
// CHROMIUM     the browser binary (default /usr/bin/chromium)
//
// Prints one line per step and exits 1 with the failing step's message on any failure.

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/$/, '');
const EDITOR_KEY = process.env.EDITOR_KEY || '';
const SCREENSHOT = process.env.SCREENSHOT || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 20_000;
const WHOLE_RUN = 180_000;

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}

if (!BASE_URL) fail('set BASE_URL to a running talentflow (e.g. http://127.0.0.1:8080)');
if (!EDITOR_KEY) fail('set EDITOR_KEY to an editor key (talentflow keys create --name browser --role editor)');
if (!existsSync(CHROMIUM)) {
  fail(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM`);
}

async function step(name, body) {
  const started = Date.now();
  try {
    await body();
  } catch (err) {
    throw new Error(`${name}: ${err.message.split('\n')[0]}`);
  }
  console.log(`ok - ${name} (${Date.now() - started} ms)`);
}

/** Whether the page's address keeps `value` in its flows view. */
function readHashHas(url, value) {
  const flows = new URLSearchParams(new URL(url).hash.slice(1)).get('flows') || '';
  return flows.split('~').includes(value);
}

/** A write through the public API, as any client would make it. */
async function post(path, body) {
  const response = await fetch(`${BASE_URL}/v1${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${EDITOR_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST /v1${path} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

setTimeout(() => fail(`the run took longer than ${WHOLE_RUN / 1000} s`), WHOLE_RUN).unref();

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // CI runs as root, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const problems = [];

try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} from ${response.url()}`);
  });

  await step('/ redirects to /dashboard and the page loads its own assets', async () => {
    const response = await page.goto(`${BASE_URL}/`, { waitUntil: 'load' });
    if (!response || !response.ok()) throw new Error(`GET / answered ${response && response.status()}`);
    const path = new URL(page.url()).pathname;
    if (path !== '/dashboard') throw new Error(`landed on ${path}, not /dashboard`);
    const hasCharts = await page.evaluate(() => typeof window.echarts === 'object' && typeof window.talentflow === 'object');
    if (!hasCharts) throw new Error('echarts.min.js or app.js did not run');
  });

  await step('the Sankey shows Google DeepMind → Meta', async () => {
    // What ECharts was given, read back from the chart itself...
    await page.waitForFunction(() => window.talentflow.sankeyLinks()
      .some((link) => link.from === 'Google DeepMind' && link.to === 'Meta' && link.count >= 1));
    // ...and the same link in the table beside it, as a reader sees it.
    const row = page.locator('#flows-table tbody tr')
      .filter({ has: page.locator('td:nth-child(1)', { hasText: /^Google DeepMind$/ }) })
      .filter({ has: page.locator('td:nth-child(2)', { hasText: /^Meta$/ }) });
    await row.first().waitFor({ state: 'visible' });
    const drawn = await page.locator('#sankey canvas').count();
    if (drawn === 0) throw new Error('the Sankey has no canvas');
  });

  await step('clicking Meta opens its balance, gained from Google DeepMind', async () => {
    await page.locator('#flows-table tbody tr td:nth-child(2) button', { hasText: /^Meta$/ }).first().click();
    await page.locator('#company-title', { hasText: /^Meta$/ }).waitFor();
    await page.locator('#gained-from li', { hasText: 'Google DeepMind' }).waitFor();
    await page.locator('#balance-chart canvas').first().waitFor();
    // The two departures known only to "2023" get a bar of their own, not a January one.
    await page.locator('#company-note', { hasText: '2 moves known only to the year (2023) are drawn apart, in no month.' }).waitFor();
  });

  await step('searching "balko" opens Michal Valko\'s timeline', async () => {
    await page.locator('#search').pressSequentially('balko', { delay: 40 });
    const hit = page.getByRole('option', { name: /Michal Valko/ });
    await hit.waitFor({ state: 'visible' });
    await hit.click();
    await page.locator('#researcher-title', { hasText: /^Michal Valko$/ }).waitFor();
    const stints = page.locator('#stints li');
    await stints.filter({ hasText: 'Google DeepMind' }).waitFor();
    await stints.filter({ hasText: 'Chief Engineer, Llama' }).filter({ hasText: 'Meta' }).waitFor();
  });

  await step('the project panel shows Llama tracked (2 of 14, both uncertain) beside the press\'s "7 of 14"', async () => {
    // Lample and Lacroix left in "2023", the year of Llama's release: counted, dates uncertain.
    await page.locator('#attrition-table tbody tr', { hasText: 'Tracked by talentflow (2 with uncertain dates)' })
      .filter({ hasText: '14%' }).waitFor();
    await page.locator('#departures li', { hasText: 'Guillaume Lample' }).filter({ hasText: 'date uncertain' }).waitFor();
    await page.locator('#attrition-table tbody tr', { hasText: 'The Information' }).filter({ hasText: '7' }).waitFor();
  });

  await step('a move posted through the API appears in the live feed without a reload', async () => {
    await page.locator('#feed-status[data-state="live"]').waitFor();
    // Survives only if the page is not reloaded.
    await page.evaluate(() => { window.__sameDocument = true; });
    const nonce = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const name = `Browser Test ${nonce}`;
    const researcher = await post('/researchers', { name });
    const move = await post('/moves', {
      researcher: researcher.slug,
      from: 'google-deepmind',
      to: 'openai',
      kind: 'hire',
      title: 'Research Scientist',
      effective_on: '2024-05',
      confidence: 'rumored',
    });
    const item = page.locator(`#feed-list li[data-move-id="${move.id}"]`);
    await item.waitFor({ state: 'visible', timeout: 15_000 });
    const text = await item.innerText();
    for (const expected of [name, 'Google DeepMind', 'OpenAI']) {
      if (!text.includes(expected)) throw new Error(`the feed item says "${text}", without "${expected}"`);
    }
    const first = await page.locator('#feed-list li').first().getAttribute('data-move-id');
    if (first !== move.id) throw new Error('the new move is not at the top of the feed');
    const same = await page.evaluate(() => window.__sameDocument === true);
    if (!same) throw new Error('the page was reloaded');
  });

  await step('moves imported in bulk appear in the live feed without a reload', async () => {
    const nonce = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const slug = `imported-${nonce}`;
    const lines = [
      { type: 'researcher', name: `Imported ${nonce}`, slug },
      { type: 'move', researcher: slug, from: 'meta', to: 'mistral-ai', kind: 'hire', effective_on: '2025-02' },
    ];
    const response = await fetch(`${BASE_URL}/v1/import`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${EDITOR_KEY}`, 'Content-Type': 'application/x-ndjson' },
      body: lines.map((line) => JSON.stringify(line)).join('\n') + '\n',
    });
    if (response.status !== 200) throw new Error(`POST /v1/import answered ${response.status}: ${await response.text()}`);
    const item = page.locator('#feed-list li', { hasText: `Imported ${nonce}` });
    await item.waitFor({ state: 'visible', timeout: 15_000 });
    const same = await page.evaluate(() => window.__sameDocument === true);
    if (!same) throw new Error('the page was reloaded');
  });

  await step('counting press-reported moves only redraws the flows without the rumoured ones', async () => {
    const total = (links) => links.reduce((sum, link) => sum + link.count, 0);
    // What the API itself answers, asked as the page asks (top 50), and the page drawing it.
    const answered = async (query) => total((await (await fetch(`${BASE_URL}/v1/flows?top=50${query}`)).json()).links);
    const drawn = (want) => page.waitForFunction((n) => window.talentflow.sankeyLinks()
      .reduce((sum, link) => sum + link.count, 0) === n, want);
    // Redrawn with the moves posted above, the rumoured one among them.
    await page.locator('#flows-form button[type="submit"]').click();
    const everything = await answered('');
    await drawn(everything);
    const asked = page.waitForRequest((request) => request.url().includes('/v1/flows?')
      && new URL(request.url()).searchParams.get('min_confidence') === 'reported');
    await page.locator('#min-confidence').selectOption('reported');
    await asked;
    const reported = await answered('&min_confidence=reported');
    await drawn(reported);
    if (reported >= everything) throw new Error(`reported only counts ${reported} moves, everything ${everything}`);
    if (!readHashHas(page.url(), 'reported')) throw new Error('the choice is not kept in the address');
    await page.locator('#min-confidence').selectOption('');
    await drawn(everything);
  });

  await step('no API error is shown on the page', async () => {
    const shown = await page.locator('.error:not([hidden])').allInnerTexts();
    if (shown.length) throw new Error(`the page shows: ${shown.join(' | ')}`);
  });

  if (SCREENSHOT) {
    await step(`screenshot saved to ${SCREENSHOT}`, async () => {
      await page.locator('#search').blur();
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(1500); // chart animations settle
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    });
  }

  if (problems.length) throw new Error(`the page logged errors:\n  ${problems.join('\n  ')}`);
  console.log('dashboard: all steps passed');
} catch (err) {
  await browser.close();
  fail(err.message);
}
await browser.close();
