// A visitor opens the demo page: the tracker loads from the collector, sets its anonymous id
// cookie and stores a page event that /v1/export returns; a reload keeps the same id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, waitFor, artifactPath } from './harness.mjs';

let site;
let collector;
let browser;

before(async () => {
  // The demo site plus one page that queues calls before the tracker has loaded.
  site = await startSite(
    {
      'stub.html': `<!doctype html><title>Stub</title>
     <script>window.orbit=window.orbit||function(){(orbit.q=orbit.q||[]).push(arguments)}</script>
     <script>orbit('track', 'First', {n: 1}); orbit('track', 'Second', {n: 2}); orbit('bogus');</script>
     <script async src="/sdk/orbit.js" data-site="demo" data-key="demo-write-key"></script>`,
      // A ready callback that calls the tracker again (the core bundle's script tag).
      'reentrant.html': `<!doctype html><title>Re-entrant</title>
     <script async src="/sdk/orbit-core.js" data-site="demo" data-key="demo-write-key"></script>`,
      // Two `init` calls on one page share the one .wasm instance.
      'module-twice.html': `<!doctype html><title>Module twice</title><script type="module">
     import { init } from '/sdk/orbit-core.mjs';
     const [first, second] = await Promise.all([
       init({ site: 'demo', key: 'demo-write-key' }),
       init({ site: 'demo', key: 'demo-write-key' }),
     ]);
     first('track', 'From First');
     second('track', 'From Second');
     first('ready', () => { window.moduleReady = true; });
     </script>`,
      // The ES-module entry, for each bundle: no script tag, no queue stub.
      ...Object.fromEntries(
        ['orbit', 'orbit-core'].map((bundle) => [
          `module-${bundle}.html`,
          `<!doctype html><title>Module</title><script type="module">
     import { init } from '/sdk/${bundle}.mjs';
     const orbit = await init({ site: 'demo', key: 'demo-write-key' });
     orbit('track', 'From Module', { bundle: '${bundle}' });
     orbit('ready', () => { window.moduleReady = typeof window.orbit; });
     </script>`,
        ]),
      ),
    },
    { withDemo: true },
  );
  ({ collector, browser } = site);
});

after(async () => {
  await site?.stop();
});

test('the demo page stores a page event with the cookie anonymous id, kept across reloads', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));

  await page.goto(`${collector.url}/`);
  const first = await waitFor(
    () => collector.exportEvents(),
    (events) => events.some((e) => e.type === 'page'),
  );
  const pageEvent = first.find((e) => e.type === 'page');
  const cookie = (await context.cookies()).find((c) => c.name === 'orbit_aid');
  assert.ok(cookie, 'the orbit_aid cookie is set');
  assert.equal(pageEvent.anonymousId, cookie.value);
  assert.equal(cookie.sameSite, 'Lax');
  assert.equal(pageEvent.properties.path, '/');
  assert.match(pageEvent.properties.title, /Lumen/);
  assert.equal(pageEvent.context.library.name, 'orbit-sdk');
  assert.ok(pageEvent.messageId && pageEvent.timestamp && pageEvent.receivedAt);
  assert.equal(
    await page.evaluate(() => localStorage.getItem('orbit_aid')),
    cookie.value,
    'localStorage mirrors the cookie',
  );
  await page.screenshot({ path: artifactPath('demo-page.png'), fullPage: true });

  await page.reload();
  const both = await waitFor(
    () => collector.exportEvents(),
    (events) => events.filter((e) => e.type === 'page').length >= 2,
  );
  const ids = new Set(both.filter((e) => e.type === 'page').map((e) => e.anonymousId));
  assert.deepEqual([...ids], [cookie.value], 'the second page view keeps the same id');
  assert.deepEqual(errors, [], 'no errors in the page console');
  await context.close();
});

test('calls queued before the tracker loads are replayed in order', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(`${collector.url}/stub.html`);
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.filter((e) => e.event === 'First' || e.event === 'Second').length === 2,
  );
  // Other track events (the previous page's Page Leave) may be stored too.
  const names = events
    .filter((e) => e.event === 'First' || e.event === 'Second')
    .map((e) => e.event);
  assert.deepEqual(names, ['First', 'Second']);
  assert.equal(events.find((e) => e.event === 'Second').properties.n, 2);
  // Console messages reach the test asynchronously: wait for the warning too.
  await waitFor(
    async () => warnings,
    (all) => all.some((w) => w.startsWith('[orbit] unknown command')),
    5000,
  );
  await context.close();
});

for (const bundle of ['orbit', 'orbit-core']) {
  test(`the ES-module entry ${bundle}.mjs starts the tracker without touching window.orbit`, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    const sdk = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => new URL(r.url()).pathname.startsWith('/sdk/') && sdk.push(new URL(r.url()).pathname));
    await page.goto(`${collector.url}/module-${bundle}.html`);
    await page.waitForFunction(() => window.moduleReady !== undefined, null, { timeout: 10000 });
    assert.equal(await page.evaluate(() => window.moduleReady), 'undefined', 'no global without `global: true`');
    const id = (await context.cookies()).find((c) => c.name === 'orbit_aid')?.value;
    assert.ok(id, 'the visitor has an id');
    const events = await waitFor(
      () => collector.exportEvents(),
      (all) => all.some((e) => e.anonymousId === id && e.event === 'From Module'),
    );
    assert.equal(events.find((e) => e.anonymousId === id && e.event === 'From Module').properties.bundle, bundle);
    assert.ok(events.some((e) => e.anonymousId === id && e.type === 'page'), 'the page view is recorded');
    // The entry, the script-tag file it imports and the .wasm beside them: nothing else.
    assert.equal(sdk.length, 3, JSON.stringify(sdk));
    assert.ok(sdk.includes(`/sdk/${bundle}.mjs`) && sdk.includes(`/sdk/${bundle}.js`), JSON.stringify(sdk));
    assert.ok(sdk.some((p) => /^\/sdk\/orbit_bg\.[0-9a-f]+\.wasm$/.test(p)), JSON.stringify(sdk));
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('a ready callback can call orbit again, and its calls run at once', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings = [];
  const errors = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${collector.url}/reentrant.html`);
  const order = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const order = [];
        window.orbit('ready', () => {
          window.orbit('track', 'Nested Track');
          window.orbit('ready', () => order.push('nested ready'));
          order.push('outer ready');
          resolve(order);
        });
      }),
  );
  assert.deepEqual(order, ['nested ready', 'outer ready'], 'the nested call ran inside the callback');
  const id = (await context.cookies()).find((c) => c.name === 'orbit_aid')?.value;
  await page.evaluate(() => window.orbit('flush'));
  await waitFor(
    () => collector.exportEvents(),
    (all) => all.some((e) => e.anonymousId === id && e.event === 'Nested Track'),
  );
  assert.deepEqual(warnings.filter((w) => w.startsWith('[orbit]')), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('two init calls on one page share the .wasm and both trackers work', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  const wasm = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'warning' && errors.push(m.text()));
  page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
  await page.goto(`${collector.url}/module-twice.html`);
  await page.waitForFunction(() => window.moduleReady === true, null, { timeout: 10000 });
  const id = (await context.cookies()).find((c) => c.name === 'orbit_aid')?.value;
  await waitFor(
    () => collector.exportEvents(),
    (all) => ['From First', 'From Second'].every((name) => all.some((e) => e.anonymousId === id && e.event === name)),
  );
  assert.equal(wasm.length, 1, JSON.stringify(wasm));
  assert.deepEqual(errors, []);
  await context.close();
});
