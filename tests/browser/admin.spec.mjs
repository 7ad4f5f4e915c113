// Walks the staffsync admin web app in real headless Chromium, as an admin would:
// log in (a wrong password first), connect Personio (the simulator), watch the first sync
// fill the directory (the page updates itself), change someone in "Personio", preview the
// change, sync it (again the page follows the sync by itself), delete
// more than 20% of the company, review the held run, accept it, exclude a department
// under Einstellungen after its preview, read the sync history,
// switch to English, and check that a Personio name with HTML shows as text; then, as the
// admin of an account that takes employee files: download the template, upload a file,
// look at its preview (one row with an error), apply it, and apply a second file that
// removes most people only after confirming exactly those removals.
//
// Every state the walk reaches is also checked for layout (`checkLayout`): in German and
// English, at 1280 px and at a phone's 390 px, the page must not be wider than the window
// (no sideways scrolling), a region that scrolls sideways must be reachable by keyboard
// and named, and the page speaks one language: no English on German pages, no German on
// English ones (people's names, e-mail addresses and the simulated company's data left
// out). The walk also reaches a Personio that fails and a mandatory attribute the
// credential can no longer read, and the file account's pages never name Personio. With DOCS_SCREENSHOTS=DIR (scripts/screenshots) the main pages are
// also saved there, in German at both widths, for README.md; with LAYOUT_SCREENSHOTS=1
// every checked state, language and width is saved under SCREENSHOT_DIR/layout/.
//
// Plain node (no test runner): exits 0 when every step passed, 1 otherwise. Driven by
// crates/staffsync/tests/browser.rs, which starts the simulator and `staffsync serve`.
// Env: BASE_URL, SIM_URL, ADMIN_EMAIL, ADMIN_PASSWORD, CLIENT_ID, CLIENT_SECRET,
// FILE_ADMIN_EMAIL (the file account's admin; same password), SCREENSHOT_DIR, optional
// CHROMIUM (default /usr/bin/chromium), DOCS_SCREENSHOTS and LAYOUT_SCREENSHOTS.
// Waiting is always for a selector, a text or a server-side state with a deadline; a
// fixed sleep is never an assertion.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
};
const BASE = need('BASE_URL').replace(/\/$/, '');
const SIM = need('SIM_URL').replace(/\/$/, '');
const ADMIN_EMAIL = need('ADMIN_EMAIL');
const ADMIN_PASSWORD = need('ADMIN_PASSWORD');
const CLIENT_ID = need('CLIENT_ID');
const CLIENT_SECRET = need('CLIENT_SECRET');
const FILE_ADMIN_EMAIL = need('FILE_ADMIN_EMAIL');
const SHOTS = need('SCREENSHOT_DIR');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DOCS_SHOTS = process.env.DOCS_SCREENSHOTS || '';
const LAYOUT_SHOTS = process.env.LAYOUT_SCREENSHOTS ? join(SHOTS, 'layout') : '';
const TIMEOUT = 60_000;
/** A webhook receiver that never resolves (.invalid): deliveries are logged as failed. */
const WEBHOOK_URL = 'https://hooks.staffsync-test.invalid/honestly/employee-changes';

mkdirSync(SHOTS, { recursive: true });
for (const dir of [DOCS_SHOTS, LAYOUT_SHOTS]) if (dir) mkdirSync(dir, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'staffsync-chromium-'));

let shotNo = 0;
let page;
const step = (text) => console.log(`• ${text}`);
const shot = async (name) => {
  shotNo += 1;
  const path = join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`  screenshot ${path}`);
};
const assert = (cond, msg) => {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
};

/** Polls `check` (reloading state each time) until it returns true, or fails after `ms`. */
async function until(what, check, ms = TIMEOUT) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function sim(method, path, body) {
  const res = await fetch(`${SIM}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** Employees the sync imports: active, started, not leaving, no HTML in the name. */
function eligible(employees, today) {
  return employees.filter(
    (e) =>
      e.status === 'active' &&
      (!e.hire_date || e.hire_date <= today) &&
      !e.termination_date &&
      !/[<>&]/.test(`${e.first_name}${e.last_name}`) &&
      e.email && e.department,
  );
}

// ---- Layout: every state, both languages, desktop and phone -------------------------

/** The window sizes every state is checked at: the desktop the walk runs in, and a phone. */
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 860 },
  { name: 'phone', width: 390, height: 844 },
];
const DESKTOP = VIEWPORTS[0];

/**
 * Data the pages show as it is, in whatever language it was typed: people's names, the
 * simulated company's departments, offices, positions and attribute values, an employee
 * file's rows. Left out of the language check (`addData`).
 */
const DATA = new Set();
function addData(value) {
  if (typeof value === 'string') {
    if (value.trim().length > 1) DATA.add(value.trim());
  } else if (Array.isArray(value)) {
    value.forEach(addData);
  } else if (value && typeof value === 'object') {
    Object.values(value).forEach(addData);
  }
}

/**
 * Words that give a page away as the other language. English on a German page: the
 * sentences the engine and remote servers once made ("the Personio API credential cannot
 * read…", "Personio is unavailable (HTTP 500): …", "must be more than 0…", "the host name
 * could not be resolved"). German on an English page: words no English sentence has.
 */
const TELLTALES = {
  de: /\b(the|cannot|could not|unavailable|must|please|failed|answered|is not|and|with|for)\b/i,
  en: /\b(nicht|wird|werden|wurde|bitte|Mitarbeiter\w*|Synchronisation\w*|Einstellungen|und|oder|keine?|ist|sind)\b/i,
};

/** The page's visible text in the other language's telltale words, data left out. */
async function otherLanguage(lang) {
  let text = await page.evaluate(() => {
    let all = document.body.innerText;
    // Secrets, tokens and URLs the admin copies are shown as code.
    for (const el of document.querySelectorAll('code')) all = all.split(el.innerText).join(' ');
    return all;
  });
  text = text.replace(/https?:\/\/\S+/g, ' ').replace(/\S+@\S+/g, ' ');
  for (const d of [...DATA].sort((a, b) => b.length - a.length)) text = text.split(d).join(' ');
  const problems = [];
  for (const line of text.split('\n')) {
    const m = line.match(TELLTALES[lang]);
    if (m) problems.push(`"${m[0]}" on a ${lang === 'de' ? 'German' : 'English'} page: ${line.trim().slice(0, 160)}`);
  }
  return problems;
}

/**
 * Checks run on the page as it is shown, at each viewport, in the state's language; each
 * returns what is wrong (an empty list when nothing is). Add a check here and every state
 * of the walk gets it.
 */
const LAYOUT_CHECKS = [
  // No sideways scrolling: the document is no wider than the window.
  async function fitsTheWindow() {
    const { scroll, inner } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
    }));
    return scroll <= inner ? [] : [`the page is ${scroll} px wide in a ${inner} px window`];
  },
  // A box that scrolls sideways (a wide table in its card) can be focused and scrolled
  // with the keyboard, and a screen reader hears what it is.
  async function scrollRegionsReachable() {
    return page.evaluate(() => {
      const problems = [];
      for (const el of document.querySelectorAll('body *')) {
        const overflow = getComputedStyle(el).overflowX;
        if (overflow !== 'auto' && overflow !== 'scroll') continue;
        if (el.scrollWidth <= el.clientWidth) continue;
        const what = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}`;
        if (el.tabIndex < 0) problems.push(`${what} scrolls sideways but cannot be focused`);
        if (el.getAttribute('role') !== 'region' || !el.getAttribute('aria-label')) {
          problems.push(`${what} scrolls sideways but is not a named region`);
        }
      }
      return problems;
    });
  },
  // One language per page.
  async function oneLanguage({ lang }) {
    return otherLanguage(lang);
  },
  // No internal key where a name exists: attribute keys, tenure and age band keys,
  // Personio's custom attribute ids (issue 22, point 2). Code samples and form values
  // the admin typed are not text.
  async function namesNotKeys() {
    const text = await page.evaluate(() => {
      let all = document.body.innerText;
      for (const el of document.querySelectorAll('code, pre')) all = all.split(el.innerText).join(' ');
      return all;
    });
    const key =
      /\b(employment_type|cost_centers|weekly_working_hours|contract_end_date|created_at|last_modified_at|supervisor_id|dynamic_\d+|lt_1y|1_2y|2_4y|4_6y|6_10y|10y_plus|lt_25|25_34|35_44|45_54|55_plus)\b/;
    const problems = [];
    for (const line of text.split('\n')) {
      const m = line.match(key);
      if (m) problems.push(`the key "${m[0]}" where a name belongs: ${line.trim().slice(0, 160)}`);
    }
    return problems;
  },
];

const layoutProblems = [];
/** Each state's document width at each viewport and language, printed at the end. */
const widths = [];
/** Previews the layout check ran again (in English, or to come back to German): each is a
 * dry run in the history. */
let previewsRepeated = 0;

async function setLang(lang) {
  await page.context().addCookies([{ name: 'lang', value: lang, url: BASE }]);
}

/** Runs LAYOUT_CHECKS on the current page at every viewport; ends at the desktop size. */
async function checkViewports(state, lang) {
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    widths.push({ state, lang, width: vp.width, scroll });
    for (const check of LAYOUT_CHECKS) {
      for (const problem of await check({ lang })) {
        layoutProblems.push(`${state} (${lang}, ${vp.width} px, ${page.url()}): ${problem}`);
      }
    }
    if (LAYOUT_SHOTS) {
      await page.screenshot({ path: join(LAYOUT_SHOTS, `${state}-${lang}-${vp.width}.png`), fullPage: true });
    }
    if (DOCS_SHOTS && lang === 'de' && DOCS_STATES.has(state)) {
      const path = join(DOCS_SHOTS, `${state}-${vp.width}.png`);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.screenshot({
        path,
        fullPage: true,
        clip: { x: 0, y: 0, width: vp.width, height: Math.min(height, DOCS_SHOT_HEIGHT) },
      });
      console.log(`  screenshot ${path}`);
    }
  }
  await page.setViewportSize({ width: DESKTOP.width, height: DESKTOP.height });
}

/** The states saved for README.md with DOCS_SCREENSHOTS (German, each at both widths). */
const DOCS_STATES = new Set(['integration', 'employees', 'groups', 'held-review', 'history', 'run']);
const DOCS_SHOT_HEIGHT = 1400;

/**
 * Checks the page the walk is on (in German) and the same state in English, at every
 * viewport. A page that a GET shows is loaded again with `?lang=`; a page that answers a
 * form (a preview, a new token) is shown again by `again()`, which repeats that form in the
 * language of the `lang` cookie. With `restore`, the state is shown once more in German
 * afterwards, for a walk that goes on on the same page; otherwise the walk goes on from
 * the English page (only the cookie is German again).
 */
async function checkLayout(state, { again, restore = false } = {}) {
  await checkViewports(state, 'de');
  const url = new URL(page.url());
  const show = async (lang) => {
    if (again) {
      await setLang(lang);
      await again();
    } else {
      url.searchParams.set('lang', lang);
      await page.goto(url.toString());
    }
  };
  await show('en');
  await checkViewports(state, 'en');
  if (again && !restore) {
    await setLang('de');
  } else {
    await show('de');
  }
}

/** Fails the walk with every layout problem found, after printing each state's widths. */
function reportLayout() {
  const table = new Map();
  for (const w of widths) {
    const key = `${w.state} ${w.lang}`;
    table.set(key, [...(table.get(key) ?? []), `${w.width}→${w.scroll}`]);
  }
  console.log('layout: document width per state (window → page, px)');
  for (const [key, row] of table) console.log(`  ${key}: ${row.join(' ')}`);
  assert(layoutProblems.length === 0, `layout problems:\n  ${layoutProblems.join('\n  ')}`);
}

const go = (path) => page.goto(`${BASE}${path}`);
const rowsOf = (selector) => page.locator(selector).count();

async function main() {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    locale: 'de-DE',
    viewport: { width: 1280, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(TIMEOUT);
  page = context.pages()[0] ?? (await context.newPage());
  try {
    await walk();
  } finally {
    await context.close();
  }
}

async function walk() {
  step('unauthenticated → login page');
  await go('/');
  await page.waitForURL(/\/login$/);
  await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
  await shot('login');
  await checkLayout('login');

  step('wrong password → error shown');
  await page.getByLabel('E-Mail').fill(ADMIN_EMAIL);
  await page.getByLabel('Passwort').fill('definitely-not-the-password');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.locator('#login-error', { hasText: 'E-Mail oder Passwort ist falsch' }).waitFor();
  await shot('login-wrong-password');
  await checkLayout('login-error', {
    restore: true,
    again: async () => {
      await page.locator('#email').fill(ADMIN_EMAIL);
      await page.locator('#password').fill('definitely-not-the-password');
      await page.locator('form[action="/login"] button[type=submit]').click();
      await page.locator('#login-error').waitFor();
    },
  });

  step('right password → Integration');
  await page.getByLabel('Passwort').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.waitForURL(/\/integration$/);
  await page.getByRole('heading', { name: 'Mit Personio verbinden' }).waitFor();
  for (const item of ['Integration', 'Mitarbeiter', 'Gruppen', 'Synchronisationsverlauf']) {
    await page.locator('nav.menu').getByRole('link', { name: item, exact: true }).waitFor();
  }
  await shot('integration-not-connected');
  await checkLayout('integration-not-connected');

  step('connect with the simulator credentials');
  await page.getByLabel('Client-ID').fill(CLIENT_ID);
  await page.getByLabel('Secret').fill(CLIENT_SECRET);
  await page.locator('summary', { hasText: 'Erweitert' }).click();
  await page.getByLabel('Personio-URL').fill(SIM);
  await page.getByRole('button', { name: 'Verbinden' }).click();
  await page.locator('.flash.ok', { hasText: 'Verbunden' }).waitFor();
  assert(!(await page.content()).includes(CLIENT_SECRET), 'the secret is never rendered');
  await page.locator('#attributes tr[data-attr="department"]', { hasText: 'freigegeben' }).waitFor();
  await shot('integration-connected');

  step('the first sync fills the directory; the page shows it by itself');
  // No reload by the test: a page rendered while the sync was queued or running updates
  // itself (assets/status.js) and shows the applied run.
  await page.locator('#last-sync .badge.applied').waitFor();
  await page.locator('#health.badge.yes', { hasText: 'Verbunden mit Personio' }).waitFor();
  await shot('integration-after-first-sync');
  await checkLayout('integration');
  await go('/employees');
  await page.locator('#employees tbody tr').first().waitFor();
  const firstTotal = Number((await page.locator('#employee-total').innerText()).replace(/\D/g, ''));
  assert(firstTotal > 30, `directory has people (${firstTotal})`);
  await shot('employees');
  await checkLayout('employees');

  step('add a webhook endpoint: its secret is shown once, its deliveries are logged');
  // On the developers' page, which the Integration page's footer links to.
  await go('/integration');
  await page.locator('#developer-footer').click();
  await page.locator('#webhooks-card').waitFor();
  await page.locator('#webhook_url').fill(WEBHOOK_URL);
  await page.locator('form[action="/integration/webhooks"] button[type=submit]').click();
  await page.locator('#webhook-secret').waitFor();
  await page.locator('#webhook-endpoints tr.webhook-endpoint', { hasText: WEBHOOK_URL }).waitFor();
  await checkLayout('webhook-added', {
    // A second endpoint, with its own secret: the card and its table are what is checked.
    again: async () => {
      await page.locator('#webhook_url').fill(`${WEBHOOK_URL}/en`);
      await page.locator('form[action="/integration/webhooks"] button[type=submit]').click();
      await page.locator('#webhook-secret').waitFor();
    },
  });

  step('change someone in Personio (simulator)');
  const company = await sim('GET', '/_sim/company');
  const all = await sim('GET', '/_sim/employees');
  addData(all);
  addData(company);
  const candidates = eligible(all, company.today);
  assert(candidates.length > 30, `enough eligible simulated employees (${candidates.length})`);
  const mover = candidates[0];
  const renamed = candidates[1];
  await sim('PATCH', `/_sim/employees/${mover.id}`, { department: 'Qualitätssicherung' });
  await sim('PATCH', `/_sim/employees/${renamed.id}`, { first_name: '<b>Ana</b>' });

  step('"Änderungen anzeigen" previews the change');
  await go('/integration');
  await page.getByRole('button', { name: 'Änderungen anzeigen' }).click();
  await page.getByRole('heading', { name: 'Änderungen anzeigen' }).waitFor();
  const moverRow = page.locator('#updates tr.update', { hasText: `${mover.first_name} ${mover.last_name}` });
  await moverRow.waitFor();
  assert((await moverRow.innerText()).includes('Qualitätssicherung'), 'preview shows the new department');
  assert((await moverRow.innerText()).includes(mover.department), 'preview shows the old department');
  const renamedRow = page.locator('#updates tr.update', { hasText: '<b>Ana</b>' });
  await renamedRow.waitFor();
  assert((await renamedRow.locator('b', { hasText: /^Ana$/ }).count()) === 0, 'HTML in a name is not markup in the preview');
  await shot('preview');
  await checkLayout('preview', {
    again: async () => {
      previewsRepeated += 1;
      await go('/integration');
      await page.locator('form[action="/integration/preview"] button[type=submit]').click();
      await page.locator('#updates tr.update').first().waitFor();
    },
  });

  step('"Jetzt synchronisieren" applies it; the page follows the sync and shows the result by itself');
  await go('/integration');
  const runBefore = await page.locator('#last-sync a[href^="/history/"]').getAttribute('href');
  // Personio answers this sync's listing slowly, so the page sees it queued or running.
  await sim('POST', '/_sim/faults', { slow: { delay_ms: 1500, requests: 1 } });
  await page.getByRole('button', { name: 'Jetzt synchronisieren' }).click();
  await page.locator('.flash.ok', { hasText: 'Synchronisation angefordert' }).waitFor();
  const live = page.locator('#live-status');
  await live.waitFor();
  assert((await live.getAttribute('aria-live')) === 'polite', 'the status region is polite');
  await page.locator('#live-status[data-live="on"]').waitFor(); // the script polls
  await shot('sync-requested');
  // From here the test neither reloads nor navigates: the page must get there itself.
  await live.waitFor({ state: 'detached' });
  await page.locator('#last-sync .badge.applied').waitFor();
  const runAfter = await page.locator('#last-sync a[href^="/history/"]').getAttribute('href');
  assert(runAfter !== runBefore, `the page shows the new run (${runBefore} → ${runAfter})`);
  await shot('sync-finished-by-itself');
  await until('the department change in the directory', async () => {
    await go(`/employees?q=${encodeURIComponent(mover.email)}`);
    const row = page.locator('#employees tbody tr').first();
    return (await row.count()) > 0 && (await row.innerText()).includes('Qualitätssicherung');
  });
  await shot('employee-moved');
  await checkLayout('employees-search');

  step('a name with HTML shows as text');
  await go(`/employees?q=${encodeURIComponent('<b>Ana</b>')}`);
  const cell = page.locator('#employees td.name', { hasText: '<b>Ana</b>' });
  await cell.waitFor();
  assert((await cell.locator('b').count()) === 0, 'no <b> element inside the name cell');
  assert((await cell.innerText()).startsWith('<b>Ana</b>'), 'the literal text is shown');
  await shot('html-name-escaped');

  step('groups with the anonymity threshold');
  await go('/groups');
  await page.getByRole('heading', { name: 'Abteilungen' }).waitFor();
  await page.getByRole('link', { name: 'Qualitätssicherung' }).waitFor();
  await page.locator('.badge.warn', { hasText: 'Anonymitätsgrenze' }).first().waitFor();
  await shot('groups');
  await checkLayout('groups');
  // The search is a plain GET form: "qualität" (any case) keeps only matching groups.
  await page.locator('#q').fill('QUALITÄT');
  await Promise.all([page.waitForURL(/\/groups\?q=/), page.getByRole('button', { name: 'Filtern' }).click()]);
  await page.getByRole('link', { name: 'Qualitätssicherung' }).waitFor();
  assert((await page.getByRole('link', { name: 'Einkauf', exact: true }).count()) === 0, 'other groups are filtered out');
  await checkLayout('groups-search');
  await page.getByRole('link', { name: 'Qualitätssicherung' }).click();
  await page.waitForURL(/\/employees\?group=/);
  await page.locator('#employees tbody tr').first().waitFor();
  await checkLayout('group');

  step('delete more than 20% of the company in Personio');
  const gone = candidates.slice(2, 2 + Math.ceil(firstTotal * 0.3));
  for (const e of gone) await sim('DELETE', `/_sim/employees/${e.id}`);
  await go('/integration');
  await page.getByRole('button', { name: 'Jetzt synchronisieren' }).click();
  await page.locator('.flash.ok', { hasText: 'Synchronisation angefordert' }).waitFor();

  step('the sync is held; the review lists who would go');
  await until('the held review', async () => {
    await go('/integration');
    return (await page.locator('#held-review').count()) > 0;
  });
  const listed = await rowsOf('#held-review tr.held-person');
  assert(listed === gone.length, `held review lists ${gone.length} people (lists ${listed})`);
  for (const e of gone.slice(0, 3)) {
    await page.locator('#held-review tr.held-person', { hasText: `${e.first_name} ${e.last_name}` }).waitFor();
  }
  await shot('held-review');
  await checkLayout('held-review');
  step('on a phone the review is stacked, still a table to a screen reader, its buttons in reach');
  const phone = VIEWPORTS.find((vp) => vp.name === 'phone');
  await page.setViewportSize({ width: phone.width, height: phone.height });
  const review = page.locator('#held-review');
  assert((await review.getByRole('columnheader').count()) === 5, 'five column headers (the reason too)');
  assert((await review.getByRole('row').count()) === listed + 1, `a header row and ${listed} rows`);
  for (const name of ['Übernehmen', 'Ablehnen']) {
    const button = review.getByRole('button', { name, exact: true });
    await button.scrollIntoViewIfNeeded();
    const box = await button.boundingBox();
    assert(box && box.x >= 0 && box.x + box.width <= phone.width, `"${name}" within the screen: ${JSON.stringify(box)}`);
  }
  await page.setViewportSize({ width: DESKTOP.width, height: DESKTOP.height });
  // The held run's own page (from the history) lists the same people.
  const heldAction = await page.locator('#held-review form[action$="/accept"]').getAttribute('action');
  const heldRun = heldAction.match(/\/held\/(\d+)\//)[1];
  await go(`/history/${heldRun}`);
  await page.locator('#removals').waitFor();
  await checkLayout('held-run');
  await go('/integration');
  await page.locator('#held-review').waitFor();

  step('"Übernehmen" removes them');
  await page.getByRole('button', { name: 'Übernehmen' }).click();
  await page.locator('.flash.ok', { hasText: 'Übernommen' }).waitFor();
  await until('the accepted sync to be applied', async () => {
    await go('/integration');
    return (
      (await page.locator('#held-review').count()) === 0 &&
      (await page.locator('#last-sync .badge.applied').count()) > 0
    );
  });
  await shot('accepted');
  await checkLayout('accepted');
  await go(`/employees?q=${encodeURIComponent(gone[0].email)}`);
  await page.getByText('Keine Mitarbeiter gefunden.').waitFor();
  await go('/employees');
  const afterTotal = Number((await page.locator('#employee-total').innerText()).replace(/\D/g, ''));
  assert(afterTotal === firstTotal - gone.length, `directory shrank by ${gone.length} (${firstTotal} → ${afterTotal})`);

  step('Einstellungen: a rule is previewed, then saved');
  await go('/integration');
  await page.getByRole('link', { name: 'Einstellungen', exact: true }).click();
  await page.getByRole('heading', { name: 'Einstellungen' }).waitFor();
  await checkLayout('settings');
  await page.locator('input[name="exclude_attribute"]').first().fill('department');
  await page.locator('textarea[name="exclude_values"]').first().fill('qualitätssicherung');
  await page.getByRole('button', { name: 'Vorschau' }).click();
  await page.locator('#settings-preview, #settings-error').first().waitFor();
  await shot('settings-preview');
  const previewText = await page.locator('main').innerText();
  assert((await page.locator('#settings-error').count()) === 0, `the preview runs: ${previewText.slice(0, 400)}`);
  // Everyone the rule removes is listed with the rule; nobody else is removed.
  const removals = Number((await page.locator('#preview-removals').innerText()).trim());
  const excludedRows = await rowsOf('#preview-excluded-people tbody tr');
  assert(removals >= 1 && removals === excludedRows, `the preview removes exactly the people the rule excludes: ${previewText.slice(0, 600)}`);
  // The rule in words (issue 22, point 2): the attribute by its German name.
  const naming = await page.locator('#preview-excluded-people tbody tr', { hasText: 'Abteilung ist qualitätssicherung' }).count();
  assert(naming === excludedRows, 'each names the rule in words');
  await page.locator('#preview-excluded-people tr', { hasText: `${mover.first_name} ${mover.last_name}` }).waitFor();
  await checkLayout('settings-preview', {
    restore: true,
    again: async () => {
      previewsRepeated += 1;
      await page.locator('#settings-preview-button').click();
      await page.locator('#preview-excluded-people tbody tr').first().waitFor();
    },
  });
  // The preview kept the rule, its attribute shown by name: saving saves exactly that rule.
  assert((await page.locator('input[name="exclude_attribute"]').first().inputValue()) === 'Abteilung', 'the form keeps the rule, by name');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.locator('.flash.ok', { hasText: 'Einstellungen gespeichert' }).waitFor();
  await until('the excluded person to leave the directory', async () => {
    await go(`/employees?q=${encodeURIComponent(mover.email)}`);
    return (await page.getByText('Keine Mitarbeiter gefunden.').count()) > 0;
  });
  await shot('settings-saved');
  await checkLayout('employees-none');

  step('a rule that would remove most people is held: the review names the rule for each; "Ablehnen" keeps them');
  await go('/integration/settings');
  await page.getByRole('heading', { name: 'Einstellungen' }).waitFor();
  const ruleAttrs = page.locator('input[name="exclude_attribute"]');
  let free = -1;
  for (let i = 0; i < (await ruleAttrs.count()); i += 1) {
    if ((await ruleAttrs.nth(i).inputValue()) === '') {
      free = i;
      break;
    }
  }
  assert(free >= 0, 'the form offers a free rule row');
  await ruleAttrs.nth(free).fill('Beschäftigungsart');
  await page.locator('textarea[name="exclude_values"]').nth(free).fill('internal');
  await page.getByRole('button', { name: 'Speichern' }).click();
  // Saving leads to Integration, where the review appears once the sync it queued is held.
  await page.waitForURL(/\/integration(#.*)?$/);
  await until('the review of the rule', async () => {
    await go('/integration');
    return (await page.locator('#held-review').count()) > 0;
  });
  await page.locator('#held-by-rule').waitFor();
  const ruled = await rowsOf('#held-review tr.held-person');
  const reasons = await page.locator('#held-review tr.held-person td:last-child').allInnerTexts();
  assert(
    ruled > 0 && reasons.length === ruled && reasons.every((r) => r.includes('Beschäftigungsart')),
    `each of the ${ruled} held names the rule: ${reasons.slice(0, 3).join(' | ')}`,
  );
  await shot('held-review-rule');
  await checkLayout('held-review-rule');
  await page.getByRole('button', { name: 'Ablehnen', exact: true }).click();
  await page.locator('#kept').waitFor();
  assert((await rowsOf('#kept tr.kept-person')) === ruled, `the ${ruled} are kept`);
  assert((await rowsOf('#held-review')) === 0, 'no review waits any more');
  await checkLayout('kept');
  // The rule goes again: its kept people are simply people again.
  await go('/integration/settings');
  await page.locator('input[name="exclude_attribute"]').nth(free).fill('');
  await page.locator('textarea[name="exclude_values"]').nth(free).fill('');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await until('nobody kept once the rule is gone', async () => {
    await go('/integration');
    return (await rowsOf('#kept')) === 0 && (await rowsOf('#held-review')) === 0;
  });

  step('API tokens: make one, shown once, listed');
  await go('/integration');
  await page.locator('#tokens-link').click();
  await page.locator('#tokens-none').waitFor();
  await checkLayout('tokens-none');
  await page.locator('#token_label').fill('Lohnbuchhaltung Export (nächtlich)');
  await page.locator('#token-create').click();
  await page.locator('#token-new').waitFor();
  await checkLayout('token-made', {
    again: async () => {
      await page.locator('#token_label').fill('Reporting');
      await page.locator('#token-create').click();
      await page.locator('#token-new').waitFor();
    },
  });
  await go('/integration/tokens');
  await page.locator('#tokens tr.token').first().waitFor();
  await checkLayout('tokens');

  step('the webhook deliveries of the syncs since it was added are logged');
  await until('a logged webhook delivery', async () => {
    await go('/developer');
    return (await page.locator('#webhook-deliveries tr.webhook-delivery').count()) > 0;
  });
  await checkLayout('webhook-deliveries');

  step('sync history shows the runs');
  await go('/history');
  await page.getByRole('heading', { name: 'Synchronisationsverlauf' }).waitFor();
  assert((await rowsOf('#runs tr.run-applied')) >= 3, 'three applied runs');
  assert((await rowsOf('#runs tr.run-accepted')) === 0, 'the accepted hold is one entry: the run that applied it');
  assert(
    (await page.locator('#runs .decision', { hasText: 'Entfernungen angenommen von' }).count()) === 1,
    'the applying run says who accepted the removals',
  );
  assert((await rowsOf('#runs tr.run-held')) === 0, 'no held run left to review');
  assert((await rowsOf('#runs tr.run-dry_run')) === 0, 'previews have their own filter');
  await shot('history');
  await checkLayout('history');
  await go('/history?show=previews');
  assert(
    (await rowsOf('#runs tr.run-dry_run')) === 2 + previewsRepeated,
    `two previews (changes, settings), and the ${previewsRepeated} the layout check repeated`,
  );
  await checkLayout('history-previews');

  step('history: settings versions in words; an older one restored through the form');
  await go('/integration/settings');
  await page.locator('input[name="min_people"]').fill('6');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.locator('.flash.ok', { hasText: 'Einstellungen gespeichert' }).waitFor();
  await go('/history');
  await page.locator('#settings-versions .change', { hasText: 'ab 6 Personen' }).first().waitFor();
  await page.locator('#settings-versions a.restore').first().click();
  await page.locator('#settings-restore').waitFor();
  const restoreText = await page.locator('#settings-restore').innerText();
  assert(restoreText.includes('Löschschutz'), `the restore says what changes: ${restoreText}`);
  await checkLayout('settings-restore');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.locator('.flash.ok', { hasText: 'Einstellungen gespeichert' }).waitFor();
  // Saving leads to Integration (where a review would wait); the form shows the restored guard.
  await go('/integration/settings');
  assert((await page.locator('input[name="min_people"]').inputValue()) !== '6', 'restored: the guard as before');
  await go('/history');
  // The run that applied the accepted removals (later syncs changed nothing).
  await page.locator('#runs tr.run-applied', { has: page.locator('.decision') }).locator('a').first().click();
  await page.locator('#removals').waitFor();
  await shot('run-detail');
  await checkLayout('run');

  await failures();
  await go('/history');
  await page.locator('#runs tr.run-applied a').first().click();
  await page.waitForURL(/\/history\/\d+$/);

  step('switch to English');
  await page.getByRole('link', { name: 'EN', exact: true }).click();
  await page.getByRole('link', { name: '← Sync history' }).waitFor();
  await go('/history');
  await page.getByRole('heading', { name: 'Sync history' }).waitFor();
  await go('/integration');
  await page.getByRole('button', { name: 'Sync now' }).waitFor();
  await shot('english');

  step('log out');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/login$/);
  await go('/employees');
  await page.waitForURL(/\/login$/);

  await importWalk();
  reportLayout();
}

/** An employee file as German Excel saves CSV: `;`, a header row, one row per person. */
function employeeCsv(people) {
  const head = 'Personalnummer;E-Mail;Vorname;Nachname;Abteilung;Eintrittsdatum';
  const rows = people.map((p) => [p.id, p.email, p.first, p.last, p.department, '01.03.2024'].join(';'));
  return Buffer.from([head, ...rows].join('\r\n') + '\r\n', 'utf8');
}

async function upload(name, people) {
  await page
    .locator('#import-file')
    .setInputFiles({ name, mimeType: 'text/csv', buffer: employeeCsv(people) });
  await page.locator('#import-preview-button').click();
  await page.locator('#import-preview').waitFor();
}

const text = async (selector) => (await page.locator(selector).innerText()).trim();

/** How many people named `name` the directory page lists, read in a second tab (so the
 * page with the preview stays as it is). */
async function listed(name) {
  const other = await page.context().newPage();
  try {
    await other.goto(`${BASE}/employees`);
    await other.locator('nav.menu').waitFor();
    return await other.getByText(name, { exact: true }).count();
  } finally {
    await other.close();
  }
}

async function importWalk() {
  step('file account: log in, Integration is "Mitarbeiter importieren"');
  addData(['Personalnummer', 'Vorname', 'Nachname', 'Abteilung', 'Eintrittsdatum', 'Vertrieb', 'Technik']);
  await go('/login?lang=de');
  await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
  await page.getByLabel('E-Mail').fill(FILE_ADMIN_EMAIL);
  await page.getByLabel('Passwort').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.waitForURL(/\/integration$/);
  await page.getByRole('heading', { name: 'Mitarbeiter importieren', level: 1 }).waitFor();
  assert((await rowsOf('text=Mit Personio verbinden')) === 0, 'no Personio card');
  const template = await page.request.get(
    `${BASE}${await page.locator('#template-xlsx-de').getAttribute('href')}`,
  );
  assert(template.ok(), `template download: HTTP ${template.status()}`);
  assert(
    (template.headers()['content-type'] || '').includes('spreadsheetml'),
    'the template is an XLSX file',
  );
  assert((await template.body()).subarray(0, 2).toString() === 'PK', 'an XLSX is a zip');
  await shot('import-page');
  await checkLayout('import');
  await noPersonio('import');

  step('upload a file of 10 people, one row with a bad e-mail: preview first');
  const people = Array.from({ length: 10 }, (_, i) => ({
    id: `P-${100 + i}`,
    email: `person${i}@files.example`,
    first: `Vorname${i}`,
    last: `Nachname${i}`,
    department: i % 2 ? 'Vertrieb' : 'Technik',
  }));
  people[3].email = 'kein-at-zeichen';
  addData(people);
  await upload('employees.csv', people);
  assert((await text('#import-rows')) === '9', `9 good rows read: ${await text('#import-rows')}`);
  assert((await text('#import-creates')) === '9', 'nine people would be created');
  assert((await text('#import-row-error-count')) === '1', 'one row with an error');
  const errorRow = await text('#import-row-errors tbody tr');
  assert(errorRow.includes('5') && errorRow.includes('E-Mail') && errorRow.includes('P-103'), `row 5, column E-Mail, P-103: ${errorRow}`);
  assert(errorRow.includes('ist keine gültige E-Mail-Adresse'), `said in German: ${errorRow}`);
  assert((await listed('Vorname0 Nachname0')) === 0, 'the preview changed nothing');
  await shot('import-preview');
  await checkLayout('import-preview', {
    again: () => upload('employees.csv', people),
  });

  step('apply it: the run is in the history, the people in the directory');
  await page.locator('#import-apply-button').click();
  await page.waitForURL(/\/history\/\d+$/);
  await page.locator('.flash.ok', { hasText: 'Import übernommen: 9 neu' }).waitFor();
  assert((await listed('Vorname0 Nachname0')) === 1, 'the people are in the directory');
  assert((await listed('Vorname3 Nachname3')) === 0, 'the bad row was left out');
  await shot('import-applied');
  await checkLayout('import-applied');

  step('a file without 6 of the 9: held, applied only after confirming those removals');
  await go('/integration');
  await upload('employees.csv', people.slice(0, 3));
  await page.locator('#import-held').waitFor();
  assert((await text('#import-removals')) === '6', `six would go: ${await text('#import-removals')}`);
  await checkLayout('import-held', {
    restore: true,
    again: async () => {
      await go('/integration');
      await upload('employees.csv', people.slice(0, 3));
      await page.locator('#import-held').waitFor();
    },
  });
  await page.locator('#import-apply-button').click();
  await page.locator('#import-confirm-button').waitFor();
  // Shown in answer to "apply" (a held run); English is checked on the same page above.
  await checkViewports('import-confirm', 'de');
  assert((await listed('Vorname9 Nachname9')) === 1, 'nobody removed before the confirmation');
  await page.locator('#import-confirm-button').click();
  await page.waitForURL(/\/history\/\d+$/);
  await page.locator('.flash.ok', { hasText: '6 entfernt' }).waitFor();
  assert((await listed('Vorname0 Nachname0')) === 1, 'the three stay');
  assert((await listed('Vorname9 Nachname9')) === 0, 'the removals were applied');
  await shot('import-confirmed');
  await checkLayout('import-confirmed');
  await noPersonio('import-run');

  step('file account: settings and history speak of the file, never of Personio');
  await go('/integration/settings');
  await page.locator('#settings-link, h1').first().waitFor();
  await checkLayout('file-settings');
  await noPersonio('file-settings');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.locator('.flash.ok', { hasText: 'nächsten Import' }).waitFor();
  await noPersonio('file-settings-saved');
  await go('/history');
  await page.locator('#runs tr.run').first().waitFor();
  await checkLayout('file-history');
  await noPersonio('file-history');
}

/** The file account's page (German and English) never names Personio: its words come
 * from its source. */
async function noPersonio(state) {
  // English first: the walk goes on from the German page.
  for (const lang of ['en', 'de']) {
    const url = new URL(page.url());
    url.searchParams.set('lang', lang);
    await page.goto(url.toString());
    const shown = await page.evaluate(() => document.body.innerText);
    const at = shown.indexOf('Personio');
    assert(at < 0, `${state} (${lang}) of a file account names Personio: …${shown.slice(Math.max(0, at - 80), at + 80)}…`);
  }
}

/** Clicks "Jetzt synchronisieren" and waits until the newest full run is a failed one
 * other than `before`; answers its href. */
async function syncUntilFailed(before) {
  await go('/integration');
  await page.locator('form[action="/integration/sync"] button[type=submit]').click();
  let href;
  await until('a failed sync', async () => {
    await go('/integration');
    href = await page.locator('#last-sync a[href^="/history/"]').getAttribute('href');
    return href !== before && (await page.locator('#last-sync .badge.failed').count()) > 0;
  });
  return href;
}

/** A mandatory attribute Personio no longer sends, then a Personio that answers with an
 * error: every page that says so says it in its own language, with the attribute by its
 * name, and never Personio's own words. */
async function failures() {
  step('the credential can no longer read the department: Integration, run, history, preview say so in words');
  await go('/integration');
  const lastBefore = await page.locator('#last-sync a[href^="/history/"]').getAttribute('href');
  await sim('POST', '/_sim/faults', { missing_attribute: { attribute: 'department' } });
  const missingRun = await syncUntilFailed(lastBefore);
  await page.locator('#incidents li.incident[data-kind="attribute_unreadable"]').waitFor();
  const said = await text('#last-error');
  assert(said.includes('„Abteilung“') && !said.includes('department'), `the attribute by its name: ${said}`);
  await shot('missing-attribute');
  await checkLayout('missing-attribute');
  await go(missingRun);
  await page.locator('.alert.error').first().waitFor();
  await checkLayout('missing-attribute-run');
  await go('/history');
  await page.locator('#runs tr.run-failed').first().waitFor();
  await checkLayout('history-failed');
  await checkLayout('preview-failed', {
    restore: true,
    again: async () => {
      await go('/integration');
      await page.locator('form[action="/integration/preview"] button[type=submit]').click();
      await page.locator('.alert.error').first().waitFor();
    },
  });
  await page.locator('.alert.error', { hasText: 'Abteilung' }).waitFor();

  step('Personio answers the listing with an error, three times in a row: the banner says it once, in words');
  await sim('PUT', '/_sim/credential', { readable: null });
  // A 4xx is not retried (a 5xx is, for a minute): the same path to the page, quickly.
  await sim('POST', '/_sim/faults', { fail_page: { offset: 0, status: 400 } });
  let last = missingRun;
  for (let i = 0; i < 2; i += 1) last = await syncUntilFailed(last);
  await page.locator('#failing').waitFor();
  const banner = await text('#failing');
  assert(banner.includes('HTTP 400'), `the banner names the status: ${banner}`);
  assert((await rowsOf('#last-error')) === 0, 'the failure is said once, in the banner');
  await shot('personio-failing');
  await checkLayout('personio-failing');
  await go(last);
  await page.locator('.alert.error').first().waitFor();
  await checkLayout('personio-failing-run');

  step('Personio recovers: the next sync applies');
  await sim('DELETE', '/_sim/faults');
  await go('/integration');
  await page.locator('form[action="/integration/sync"] button[type=submit]').click();
  await until('an applied sync after the failures', async () => {
    await go('/integration');
    return (await page.locator('#last-sync .badge.applied').count()) > 0;
  });
}

try {
  await main();
  console.log('browser walk: all steps passed');
} catch (e) {
  console.error(`browser walk FAILED: ${e.stack || e}`);
  if (page) {
    try {
      await page.screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true });
      console.error(`  screenshot ${join(SHOTS, 'failure.png')} (at ${page.url()})`);
    } catch {
      // the page may be gone
    }
  }
  process.exitCode = 1;
} finally {
  rmSync(profile, { recursive: true, force: true });
}
