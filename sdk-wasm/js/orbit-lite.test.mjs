// The no-WebAssembly fallback (js/orbit-lite.mjs) in a fake browser: consent, forgetting the
// visitor, and the page views of a single-page app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './orbit-lite.mjs';

const NAMES = ['navigator', 'document', 'location', 'localStorage', 'fetch', 'history', 'addEventListener'];

/** Runs `body(browser)` with a fake browser's globals at `href`; `browser.sent` holds the
 * page events sent, `browser.storage` localStorage and `browser.cookies` the cookies set. */
async function inBrowser(href, body, storage = {}) {
  const saved = NAMES.map((name) => Object.getOwnPropertyDescriptor(globalThis, name));
  const listeners = {};
  const jar = {};
  const browser = { sent: [], storage, cookies: [], listeners };
  const location = { protocol: 'https:' };
  const go = (url) => {
    const u = new URL(url, location.href || href);
    Object.assign(location, { href: u.href, hostname: u.hostname, pathname: u.pathname, search: u.search });
  };
  go(href);
  browser.go = go;
  const globals = {
    navigator: { userAgent: 'test', language: 'en' },
    document: {
      getElementById: (id) => (id == 'orbit-hide' && !browser.shown ? { remove: () => (browser.shown = true) } : null),
      referrer: '',
      title: 'T',
      // One jar per name (domains aside); Max-Age=0 removes.
      get cookie() {
        return Object.entries(jar).map(([name, value]) => `${name}=${value}`).join('; ');
      },
      set cookie(text) {
        // As browsers do: no cookie on a public suffix, nor on a domain the host is not in.
        const domain = /Domain=([^;]+)/.exec(text)?.[1];
        if (domain && (['uk', 'co.uk', 'com'].includes(domain) || !`.${location.hostname}`.endsWith(`.${domain}`))) return;
        browser.cookies.push(text);
        const [name, value] = text.split(';')[0].split('=');
        if (text.includes('Max-Age=0')) delete jar[name];
        else jar[name] = value;
      },
    },
    location,
    localStorage: {
      getItem: (key) => storage[key] ?? null,
      setItem: (key, value) => (storage[key] = String(value)),
      removeItem: (key) => delete storage[key],
    },
    fetch: async (url, init) => browser.sent.push(...JSON.parse(init.body).batch),
    history: { pushState: (_, __, url) => go(url), replaceState: (_, __, url) => go(url) },
    addEventListener: (type, listener) => (listeners[type] = listener),
  };
  for (const name of NAMES) Object.defineProperty(globalThis, name, { configurable: true, writable: true, value: globals[name] });
  try {
    await body(browser);
  } finally {
    NAMES.forEach((name, i) => (saved[i] ? Object.defineProperty(globalThis, name, saved[i]) : delete globalThis[name]));
  }
}

const OPTIONS = { site: 'demo', key: 'k', endpoint: 'https://c.example' };

test('with consent required, page views wait for it, and are recorded once it is granted', async () => {
  const storage = {};
  await inBrowser('https://shop.com/a', async (browser) => {
    const tracker = start({ ...OPTIONS, consent: 'required' }, 'no-wasm');
    assert.ok(tracker, 'the fallback waits for consent rather than giving up');
    tracker.command('page', []);
    assert.deepEqual(browser.sent, []);
    assert.equal(storage.orbit_aid, undefined, 'nothing stored before consent');
    tracker.command('consent', ['granted']);
    assert.equal(browser.sent.length, 1);
    assert.equal(browser.sent[0].anonymousId, storage.orbit_aid);
    assert.equal(storage.orbit_consent, 'granted');
  }, storage);
  // The next page knows the visitor consented.
  await inBrowser('https://shop.com/b', async (browser) => {
    start({ ...OPTIONS, consent: 'required' }, 'no-wasm');
    assert.equal(browser.sent.length, 1);
    assert.equal(browser.sent[0].properties.path, '/b');
  }, storage);
});

test("consent 'denied' stops the page views and forgets the visitor", async () => {
  const storage = {};
  await inBrowser('https://shop.com/a', async (browser) => {
    const tracker = start(OPTIONS, 'no-wasm');
    assert.ok(storage.orbit_aid);
    tracker.command('consent', ['denied']);
    tracker.command('page', []);
    assert.equal(browser.sent.length, 1, 'only the page view before');
    assert.equal(storage.orbit_aid, undefined);
    assert.equal(document.cookie, '', 'the cookie is expired');
  }, storage);
});

test('a single-page app gets a page view for each new URL, not for a new fragment', async () => {
  await inBrowser('https://shop.com/a?x=1', async (browser) => {
    start(OPTIONS, 'no-wasm');
    history.pushState({}, '', '/b');
    history.replaceState({}, '', '/b');
    history.pushState({}, '', '/b#section');
    browser.go('/c');
    browser.listeners.popstate();
    assert.deepEqual(
      browser.sent.map((e) => e.properties.path),
      ['/a', '/b', '/c'],
    );
    assert.equal(browser.sent[1].context.fallback, 'no-wasm');
  });
  await inBrowser('https://shop.com/#/home', async (browser) => {
    start({ ...OPTIONS, trackHash: '' }, 'no-wasm');
    browser.go('#/pricing');
    browser.listeners.hashchange();
    assert.deepEqual(
      browser.sent.map((e) => e.properties.url),
      ['https://shop.com/#/home', 'https://shop.com/#/pricing'],
    );
  });
});

test("the anti-flicker snippet's slots are shown at once, even where the fallback must not track", async () => {
  for (const options of [OPTIONS, { ...OPTIONS, consent: 'required' }]) {
    await inBrowser('https://shop.com/a', async (browser) => {
      start(options, 'no-wasm');
      assert.equal(browser.shown, true);
    });
  }
  const dnt = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  await inBrowser('https://shop.com/a', async (browser) => {
    globalThis.navigator = { doNotTrack: '1' };
    assert.equal(start(OPTIONS, 'no-wasm'), null);
    assert.equal(browser.shown, true);
  });
  assert.deepEqual(Object.getOwnPropertyDescriptor(globalThis, 'navigator'), dnt);
});

test('the visitor id is a UUIDv7 on the registrable domain, as the full tracker keeps it', async () => {
  await inBrowser('https://www.shop.example.co.uk/pricing', async (browser) => {
    start(OPTIONS, 'test');
    await new Promise((r) => setTimeout(r));
    const [view] = browser.sent;
    assert.match(view.anonymousId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(view.anonymousId.replace('-', '').slice(0, 12), 16);
    assert.ok(Math.abs(ms - Date.now()) < 60_000, 'its first 48 bits are the time');
    const id = browser.cookies.find((c) => c.startsWith('orbit_aid='));
    assert.match(id, /; Domain=example\.co\.uk/, id);
    assert.ok(!document.cookie.includes('orbit_probe'), 'the probe is removed');
  });
  // An IP address or a data-cookie-domain="none" keeps it on the host.
  await inBrowser('https://127.0.0.1/', async (browser) => {
    start(OPTIONS, 'test');
    assert.ok(!browser.cookies.find((c) => c.startsWith('orbit_aid=')).includes('Domain='));
  });
  await inBrowser('https://www.example.com/', async (browser) => {
    start({ ...OPTIONS, cookieDomain: 'none' }, 'test');
    assert.ok(!browser.cookies.find((c) => c.startsWith('orbit_aid=')).includes('Domain='));
  });
});
