// What the tracker records by itself: page views on SPA navigation, a Page Leave with
// engaged time and scroll depth, clicks on marked elements and on outbound links.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openReady, waitFor } from './harness.mjs';

let site;
let collector;

before(async () => {
  site = await startSite(
    {
      'app.html': `<!doctype html><title>App</title>
     <body style="margin:0">
     <button id="buy" data-orbit-track="Plan Chosen" data-orbit-plan="pro" data-orbit-seats="5">
       <span id="inner">Buy</span></button>
     <a id="out" href="https://partner.example.org/offer?x=1">Partner offer</a>
     <a id="internal" href="/app.html?tab=2">Same site</a>
     <div style="height:5000px"></div>
     <script async src="/sdk/orbit.js" data-site="demo" data-key="demo-write-key"></script>
     </body>`,
      'hash.html': `<!doctype html><title>Hash app</title>
     <script async src="/sdk/orbit.js" data-site="demo" data-key="demo-write-key" data-track-hash></script>`,
    },
    { prefix: 'orbit-spa-' },
  );
  collector = site.collector;
});

after(async () => {
  await site?.stop();
});

async function open(path = 'app.html') {
  const opened = await openReady(site.browser, `${collector.url}/${path}`);
  return { ...opened, anonymousId: await opened.anonymousId() };
}

test('history navigation is a page view; a replaceState to the same URL or a hash is not', async () => {
  const { context, page, errors, anonymousId } = await open();
  await page.evaluate(() => {
    history.pushState({}, '', '/app.html?step=2');
    history.replaceState({}, '', '/app.html?step=2');
    history.pushState({}, '', '/app.html?step=2#details');
    history.pushState({}, '', '/pricing');
  });
  await page.goBack();
  await page.evaluate(() => window.orbit('flush'));
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.filter((e) => e.type === 'page' && e.anonymousId === anonymousId).length >= 4,
  );
  // Stored in the order requests arrive: the load's page view may still be in flight when
  // the flush sends the rest. Order by the browser's clock: `timestamp` is corrected by each
  // request's own delay (then `originalTimestamp` keeps the browser's), and a stable sort
  // keeps the order within a batch, whose events can share a millisecond.
  const clientTime = (e) => Date.parse(e.originalTimestamp ?? e.timestamp);
  const paths = events
    .filter((e) => e.type === 'page' && e.anonymousId === anonymousId)
    .sort((a, b) => clientTime(a) - clientTime(b))
    .map((e) => e.context.page.path + e.context.page.search);
  assert.deepEqual(paths, ['/app.html', '/app.html?step=2', '/pricing', '/app.html?step=2']);
  // A cross-origin pushState still throws into the page as the browser's own error.
  const thrown = await page.evaluate(() => {
    try {
      history.pushState({}, '', 'https://elsewhere.example/');
      return null;
    } catch (e) {
      return e.name;
    }
  });
  assert.equal(thrown, 'SecurityError');
  assert.deepEqual(errors, []);
  await context.close();
});

test('leaving the page sends engaged time and scroll depth', async () => {
  const { context, page, anonymousId } = await open();
  await page.mouse.wheel(0, 2500);
  await page.waitForTimeout(600);
  await page.close({ runBeforeUnload: true });
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.some((e) => e.event === 'Page Leave' && e.anonymousId === anonymousId),
  );
  const leave = events.find((e) => e.event === 'Page Leave' && e.anonymousId === anonymousId);
  assert.ok(leave.properties.engaged_ms >= 500, JSON.stringify(leave.properties));
  assert.ok(leave.properties.scroll_depth >= 40, JSON.stringify(leave.properties));
  assert.ok(leave.properties.scroll_depth <= 100);
  await context.close();
});

test('clicks on marked elements and outbound links are tracked; same-site links are not', async () => {
  const { context, page, anonymousId } = await open();
  await page.click('#inner'); // a child of the marked button
  await page.evaluate(() => {
    // Keep the page: stop the links from navigating, after the tracker saw the click.
    document.addEventListener('click', (e) => e.preventDefault());
  });
  await page.click('#internal');
  await page.click('#out');
  await page.evaluate(() => window.orbit('flush'));
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.some((e) => e.event === 'Outbound Link Clicked' && e.anonymousId === anonymousId),
  );
  const mine = events.filter((e) => e.anonymousId === anonymousId && e.type === 'track');
  const chosen = mine.find((e) => e.event === 'Plan Chosen');
  assert.deepEqual(chosen.properties, { plan: 'pro', seats: '5' });
  const outbound = mine.filter((e) => e.event === 'Outbound Link Clicked');
  assert.equal(outbound.length, 1, 'the same-site link is not outbound');
  assert.equal(outbound[0].properties.url, 'https://partner.example.org/offer?x=1');
  assert.equal(outbound[0].properties.text, 'Partner offer');
  await context.close();
});

test('with data-track-hash, a new fragment is a page view', async () => {
  const { context, page, anonymousId } = await open('hash.html');
  await page.evaluate(() => {
    location.hash = '#/pricing';
  });
  await page.waitForTimeout(100);
  await page.evaluate(() => history.pushState({}, '', '#/signup'));
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.filter((e) => e.type === 'page' && e.anonymousId === anonymousId).length >= 3,
  );
  const urls = events
    .filter((e) => e.type === 'page' && e.anonymousId === anonymousId)
    .map((e) => new URL(e.properties.url).hash);
  assert.deepEqual(urls, ['', '#/pricing', '#/signup']);
  await context.close();
});
