// Nothing the tracker was given is lost: the collector down for a while and back, the
// browser offline and back online, and the tab closed right after a call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, launchBrowser, openReady, waitFor } from './harness.mjs';

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Every event named `name` in the export, and whether each messageId appears once. */
function named(events, name) {
  const matching = events.filter((e) => e.event === name);
  const ids = new Set(matching.map((e) => e.messageId));
  return { count: matching.length, unique: ids.size === matching.length };
}

function openDemo(collector) {
  return openReady(browser, `${collector.url}/`);
}

test('events made while the collector is down arrive once it is back, exactly once', async () => {
  let collector = await startCollector();
  const { context, page, errors } = await openDemo(collector);
  const port = new URL(collector.url).port;
  await collector.stop({ keepData: true });

  await page.evaluate(() => {
    for (let i = 0; i < 5; i++) window.orbit('track', 'While Down', { i });
    window.orbit('flush');
  });
  // Let the tracker fail and back off at least once.
  await page.waitForTimeout(1500);
  const pending = await page.evaluate(() => JSON.stringify(localStorage));
  assert.match(pending, /While Down/, 'unsent events are kept in localStorage');

  collector = await startCollector({ listen: `127.0.0.1:${port}`, dataDir: collector.dataDir });
  try {
    const events = await waitFor(
      () => collector.exportEvents(),
      (all) => named(all, 'While Down').count >= 5,
      20000,
    );
    const result = named(events, 'While Down');
    assert.equal(result.count, 5);
    assert.ok(result.unique, 'no event is stored twice');
    assert.deepEqual(errors, [], 'the page saw no errors');
  } finally {
    await context.close();
    await collector.stop();
  }
});

test('events made offline are sent when the browser is back online', async () => {
  const collector = await startCollector();
  try {
    const { context, page } = await openDemo(collector);
    await context.setOffline(true);
    await page.evaluate(() => {
      for (let i = 0; i < 3; i++) window.orbit('track', 'Offline', { i });
      window.orbit('flush');
    });
    await page.waitForTimeout(500);
    assert.equal(named(await collector.exportEvents(), 'Offline').count, 0);
    await context.setOffline(false);
    const events = await waitFor(
      () => collector.exportEvents(),
      (all) => named(all, 'Offline').count >= 3,
      15000,
    );
    assert.equal(named(events, 'Offline').count, 3);
    assert.ok(named(events, 'Offline').unique);
    await context.close();
  } finally {
    await collector.stop();
  }
});

test('a call made right before the tab closes still arrives', async () => {
  const collector = await startCollector();
  try {
    const { context, page } = await openDemo(collector);
    await page.evaluate(() => window.orbit('track', 'Last Click', { plan: 'pro' }));
    await page.close({ runBeforeUnload: true });
    const events = await waitFor(
      () => collector.exportEvents(),
      (all) => named(all, 'Last Click').count >= 1,
    );
    assert.equal(named(events, 'Last Click').count, 1);
    await context.close();
  } finally {
    await collector.stop();
  }
});

test('identify links the visitor and later events carry the user id', async () => {
  const collector = await startCollector();
  try {
    const { context, page } = await openDemo(collector);
    const anonymousId = (await context.cookies()).find((c) => c.name === 'orbit_aid').value;
    await page.evaluate(() => {
      window.orbit('identify', 'user-7', { email: 'ada@example.com' });
      window.orbit('track', 'After Login');
      window.orbit('flush');
    });
    const events = await waitFor(
      () => collector.exportEvents(),
      (all) => all.some((e) => e.event === 'After Login'),
    );
    const identify = events.find((e) => e.type === 'identify');
    assert.equal(identify.userId, 'user-7');
    assert.equal(identify.anonymousId, anonymousId);
    assert.equal(identify.traits.email, 'ada@example.com');
    const after = events.find((e) => e.event === 'After Login');
    assert.equal(after.userId, 'user-7');
    const pageView = events.find((e) => e.type === 'page');
    assert.ok(pageView.context.sessionId, 'events carry the session id');
    assert.equal(after.context.sessionId, pageView.context.sessionId);
    await context.close();
  } finally {
    await collector.stop();
  }
});

test('two tabs each send their own unsent events once, even after an outage', async () => {
  let collector = await startCollector();
  const port = new URL(collector.url).port;
  const context = await browser.newContext();
  const tabs = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) {
    await tab.goto(`${collector.url}/`);
    await tab.evaluate(() => new Promise((resolve) => window.orbit('ready', resolve)));
  }
  await collector.stop({ keepData: true });
  for (const [i, tab] of tabs.entries()) {
    await tab.evaluate((n) => {
      for (let k = 0; k < 3; k++) window.orbit('track', 'Tab Event', { tab: n, k });
      window.orbit('flush');
    }, i);
  }
  await tabs[0].waitForTimeout(1200);
  const keys = await tabs[0].evaluate(() =>
    Object.keys(localStorage).filter((k) => k.startsWith('orbit_q.')),
  );
  // orbit_q.<tab> holds a tab's queue, orbit_q.<tab>.<n> a request of it in flight.
  const owners = new Set(keys.map((k) => k.split('.')[1]));
  assert.equal(owners.size, 2, `stored events of two tabs: ${keys}`);
  collector = await startCollector({ listen: `127.0.0.1:${port}`, dataDir: collector.dataDir });
  try {
    const events = await waitFor(
      () => collector.exportEvents(),
      (all) => named(all, 'Tab Event').count >= 6,
      20000,
    );
    // Give a duplicate the time to show up, if one were sent.
    await tabs[0].waitForTimeout(1500);
    const again = await collector.exportEvents();
    assert.equal(named(again, 'Tab Event').count, 6);
    assert.ok(named(events, 'Tab Event').unique);
  } finally {
    await context.close();
    await collector.stop();
  }
});

test('a browser that refuses storage still gets its events sent, and the page no errors', async () => {
  const collector = await startCollector();
  try {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      const refuse = () => {
        throw new DOMException('storage is disabled', 'SecurityError');
      };
      Object.defineProperty(window, 'localStorage', { get: refuse });
      Object.defineProperty(window, 'sessionStorage', { get: refuse });
      Object.defineProperty(Document.prototype, 'cookie', { get: refuse, set: refuse });
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${collector.url}/`);
    await page.evaluate(() => new Promise((resolve) => window.orbit('ready', resolve)));
    await page.evaluate(() => {
      window.orbit('identify', 'no-storage-user');
      window.orbit('track', 'No Storage');
      window.orbit('flush');
    });
    const events = await waitFor(
      () => collector.exportEvents(),
      (all) => all.some((e) => e.event === 'No Storage'),
    );
    const event = events.find((e) => e.event === 'No Storage');
    assert.equal(event.userId, 'no-storage-user');
    assert.ok(event.anonymousId, 'an in-memory visitor id');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await collector.stop();
  }
});

test('a request in flight is stored under its own key until answered, and a reload resends it', async () => {
  const collector = await startCollector();
  try {
    const { context, page, errors } = await openReady(browser, `${collector.url}/`, {
      // Batches wait while window.__hold is set, until the test lets them go.
      initScript: () => {
        const real = window.fetch.bind(window);
        window.__held = [];
        window.fetch = (url, init) =>
          window.__hold && String(url).includes('/v1/batch')
            ? new Promise((resolve, reject) => window.__held.push(() => real(url, init).then(resolve, reject)))
            : real(url, init);
      },
    });
    await page.waitForLoadState('networkidle');
    const stored = () =>
      page.evaluate(() =>
        Object.fromEntries(
          Object.keys(localStorage)
            .filter((k) => k.startsWith('orbit_q.'))
            .map((k) => [k, localStorage.getItem(k)]),
        ),
      );
    // orbit_q.<tab> is the tab's queue, orbit_q.<tab>.<n> one of its requests.
    const split = (all) => ({
      queues: Object.keys(all).filter((k) => k.split('.').length === 2),
      requests: Object.keys(all).filter((k) => k.split('.').length === 3),
    });

    await page.evaluate(() => {
      window.__hold = true;
      window.orbit('track', 'Held One');
      window.orbit('flush');
      window.orbit('track', 'Queued Two');
    });
    await waitFor(stored, (all) => Object.values(all).some((v) => v.includes('"Queued Two"')));
    let all = await stored();
    let { queues, requests } = split(all);
    assert.equal(requests.length, 1, JSON.stringify(all));
    assert.equal(queues.length, 1, JSON.stringify(all));
    assert.ok(requests[0].startsWith(`${queues[0]}.`), JSON.stringify(all));
    assert.match(all[requests[0]], /"Held One"/);
    assert.doesNotMatch(all[queues[0]], /"Held One"/, 'the queue is stored again without it');
    assert.match(all[queues[0]], /"Queued Two"/);

    // Answered: its key goes.
    await page.evaluate(() => {
      window.__hold = false;
      window.__held.splice(0).forEach((go) => go());
    });
    await waitFor(stored, (now) => split(now).requests.length === 0);
    await waitFor(
      () => collector.exportEvents(),
      (events) => named(events, 'Held One').count === 1,
    );

    // Never answered (the page goes away first): the tab's next page takes it over.
    await page.evaluate(() => {
      window.__hold = true;
      window.orbit('track', 'Held Three');
      window.orbit('flush');
    });
    all = await stored();
    assert.ok(split(all).requests.some((k) => all[k].includes('"Held Three"')), JSON.stringify(all));
    await page.reload();
    await page.evaluate(() => new Promise((resolve) => window.orbit('ready', resolve)));
    const events = await waitFor(
      () => collector.exportEvents(),
      (events) => named(events, 'Held Three').count === 1 && named(events, 'Queued Two').count === 1,
    );
    assert.equal(named(events, 'Held One').count, 1);
    await waitFor(stored, (now) => split(now).requests.length === 0);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await collector.stop();
  }
});
