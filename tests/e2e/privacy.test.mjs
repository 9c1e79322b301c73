// Consent and privacy signals: with data-consent="required" nothing is stored or sent
// until consent; a denial drops what waited and removes what was stored; Do Not Track and
// Global Privacy Control turn the tracker off unless the site says otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openReady, waitFor } from './harness.mjs';

let site;
let collector;

const tag = (extra) =>
  `<script async src="/sdk/orbit.js" data-site="demo" data-key="demo-write-key" ${extra}></script>`;

before(async () => {
  site = await startSite(
    {
      'consent.html': `<!doctype html><title>C</title>${tag('data-consent="required"')}`,
      'plain.html': `<!doctype html><title>P</title>${tag('')}`,
      'ignore-dnt.html': `<!doctype html><title>I</title>${tag('data-respect-dnt="false"')}`,
      'cookieless.html': `<!doctype html><title>L</title>${tag('data-cookieless')}`,
      'csp.html': `<!doctype html><title>CSP</title>
        <meta http-equiv="Content-Security-Policy" content="script-src 'self' 'unsafe-inline'">
        <script>window.orbit=window.orbit||function(){(orbit.q=orbit.q||[]).push(arguments)}</script>
        <script>orbit('page', 'Queued Before Load')</script>${tag('')}`,
      'host-only.html': `<!doctype html><title>H</title>${tag('data-cookie-domain="none"')}`,
    },
    { prefix: 'orbit-privacy-' },
  );
  collector = site.collector;
});

after(async () => {
  await site?.stop();
});

/** A page whose browser sends Global Privacy Control. */
const sendsGpc = () =>
  Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });

async function open(path, { gpc = false } = {}) {
  return openReady(site.browser, `${collector.url}/${path}`, {
    initScript: gpc ? sendsGpc : undefined,
  });
}

const stored = (page) =>
  page.evaluate(() => ({ cookie: document.cookie, local: Object.keys(localStorage), session: Object.keys(sessionStorage) }));

test('with consent required, nothing is stored or sent until granted, then everything is', async () => {
  const { context, page } = await open('consent.html');
  await page.evaluate(() => window.orbit('track', 'Before Consent', { n: 1 }));
  await page.waitForTimeout(700);
  assert.deepEqual(await stored(page), { cookie: '', local: [], session: [] });
  const before = await collector.exportEvents();
  assert.equal(before.filter((e) => e.event === 'Before Consent').length, 0);

  await page.evaluate(() => window.orbit('consent', 'granted'));
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.some((e) => e.event === 'Before Consent'),
  );
  const cookie = (await context.cookies()).find((c) => c.name === 'orbit_aid');
  assert.ok(cookie, 'the visitor id is stored once consent is given');
  const mine = events.filter((e) => e.anonymousId === cookie.value);
  assert.deepEqual(mine.map((e) => e.type).sort(), ['page', 'track'], 'the held page view and track');
  await context.close();
});

test('a denial drops what waited and removes what Orbit stored', async () => {
  const { context, page } = await open('consent.html');
  await page.evaluate(() => {
    window.orbit('consent', 'granted');
    window.orbit('flush');
  });
  await page.waitForTimeout(300);
  assert.ok((await stored(page)).cookie.includes('orbit_aid'));
  await page.evaluate(() => {
    window.orbit('consent', 'denied');
    window.orbit('track', 'After Denial');
    window.orbit('flush');
  });
  await page.waitForTimeout(500);
  const after = await stored(page);
  assert.ok(!after.cookie.includes('orbit_aid'), after.cookie);
  assert.deepEqual(after.local.filter((k) => k.startsWith('orbit')), []);
  assert.equal((await collector.exportEvents()).filter((e) => e.event === 'After Denial').length, 0);
  await context.close();
});

test('Global Privacy Control turns the tracker off unless the site opts out of honouring it', async () => {
  const off = await open('plain.html', { gpc: true });
  await off.page.evaluate(() => {
    window.orbit('track', 'With GPC');
    window.orbit('flush');
  });
  await off.page.waitForTimeout(500);
  assert.deepEqual(await stored(off.page), { cookie: '', local: [], session: [] });
  await off.context.close();

  const on = await open('ignore-dnt.html', { gpc: true });
  await on.page.evaluate(() => {
    window.orbit('track', 'GPC Ignored');
    window.orbit('flush');
  });
  await waitFor(
    () => collector.exportEvents(),
    (all) => all.some((e) => e.event === 'GPC Ignored'),
  );
  assert.equal((await collector.exportEvents()).filter((e) => e.event === 'With GPC').length, 0);
  await on.context.close();
});

test('cookieless mode stores nothing, sends no id, and gets a daily visitor id from the collector', async () => {
  const ids = [];
  for (const gpc of [false, false, true]) {
    const { context, page } = await open('cookieless.html', { gpc });
    await page.evaluate(() => {
      window.orbit('track', 'Cookieless');
      window.orbit('identify', 'not-sent');
      window.orbit('flush');
    });
    await page.waitForTimeout(300);
    assert.deepEqual(await stored(page), { cookie: '', local: [], session: [] });
    await context.close();
  }
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.filter((e) => e.event === 'Cookieless').length >= 3,
  );
  for (const event of events.filter((e) => e.event === 'Cookieless')) {
    assert.match(event.anonymousId, /^cl-[0-9a-f]{32}$/);
    assert.equal(event.context.cookieless, true);
    assert.equal(event.userId, undefined);
    ids.push(event.anonymousId);
  }
  assert.equal(new Set(ids).size, 1, 'the same browser is one visitor for the day');
  assert.equal(events.filter((e) => e.type === 'identify').length, 0, 'identify sends no user id');
});

test('the visitor id cookie is shared on the registrable domain, never on a public suffix', async () => {
  const port = new URL(collector.url).port;
  let context = await site.browser.newContext();
  const visit = async (host, path = 'plain.html') => {
    const page = await context.newPage();
    await page.goto(`http://${host}:${port}/${path}`);
    await page.evaluate(() => new Promise((resolve) => window.orbit('ready', resolve)));
    const cookies = await context.cookies(`http://${host}:${port}/`);
    await page.close();
    return cookies.filter((c) => c.name.startsWith('orbit'));
  };
  const www = await visit('www.shop.test');
  assert.deepEqual(www.map((c) => [c.name, c.domain]), [['orbit_aid', '.shop.test']]);
  const app = await visit('app.shop.test');
  assert.equal(app.find((c) => c.name === 'orbit_aid').value, www[0].value, 'one visitor on both');

  // herokuapp.com is a public suffix like vercel.app (whose .app is HTTPS-only, which a
  // plain-http test server cannot serve); co.uk is one of the ICANN section.
  const heroku = await visit('myapp.herokuapp.com');
  assert.deepEqual(
    heroku.map((c) => [c.name, c.domain]),
    [['orbit_aid', 'myapp.herokuapp.com']],
    'herokuapp.com is a public suffix: the cookie stays on the host',
  );
  const uk = await visit('www.example.co.uk');
  assert.deepEqual(uk.map((c) => [c.name, c.domain]), [['orbit_aid', '.example.co.uk']]);
  await context.close();
  context = await site.browser.newContext();
  const hostOnly = await visit('docs.shop.test', 'host-only.html');
  assert.deepEqual(
    hostOnly.map((c) => [c.name, c.domain]),
    [['orbit_aid', 'docs.shop.test']],
    'data-cookie-domain="none" keeps the cookie on the host',
  );
  await context.close();
});

test('where a CSP forbids WebAssembly, page views are still recorded and one warning says why', async () => {
  const context = await site.browser.newContext();
  const page = await context.newPage();
  const warnings = [];
  const errors = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${collector.url}/csp.html`);
  await page.evaluate(() => new Promise((resolve) => window.orbit('ready', resolve)));
  const id = (await context.cookies()).find((c) => c.name === 'orbit_aid')?.value;
  assert.ok(id, 'the fallback keeps the visitor id');
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.filter((e) => e.anonymousId === id && e.type === 'page').length >= 2,
  );
  const pages = events.filter((e) => e.anonymousId === id && e.type === 'page');
  assert.deepEqual(pages.map((e) => e.name ?? null).sort(), ['Queued Before Load', null].sort());
  assert.equal(pages[0].context.fallback, 'no-wasm');
  const orbitWarnings = warnings.filter((w) => w.startsWith('[orbit]'));
  assert.equal(orbitWarnings.length, 1, JSON.stringify(orbitWarnings));
  assert.match(orbitWarnings[0], /wasm-unsafe-eval/);
  assert.deepEqual(errors, []);
  await context.close();
});
