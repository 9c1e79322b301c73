// A site that hosts the SDK files itself (its own origin, or a CDN that serves the .wasm
// with a generic type) and points data-endpoint at the collector: the loader finds the .wasm
// next to its own URL, and only data goes to the collector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startCollector, launchBrowser, waitFor } from './harness.mjs';

const DIST = join(ROOT, 'sdk-wasm/dist');
let collector;
let browser;
let server;
let origin;
const served = [];

/** A static server for the page and the SDK files; `/cdn-generic/` sends the .wasm as octet-stream. */
async function startStaticSite(page) {
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    served.push(url.pathname);
    if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page(''));
      return;
    }
    if (url.pathname === '/generic.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page('cdn-generic/'));
      return;
    }
    const match = url.pathname.match(/^\/(assets|cdn-generic)\/orbit\/([\w.-]+)$/);
    const file = match && readdirSync(DIST).includes(match[2]) ? match[2] : null;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    // Module scripts need a JavaScript type in every browser; a bucket without a type for
    // .wasm is the common mistake.
    const type = !file.endsWith('.wasm')
      ? 'text/javascript'
      : match[1] === 'cdn-generic'
        ? 'application/octet-stream'
        : 'application/wasm';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(join(DIST, file)));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

before(async () => {
  origin = await startStaticSite(
    (dir) => `<!doctype html><title>Self-hosted</title>
<script async src="/${dir || 'assets/'}orbit/orbit.js" data-site="demo" data-key="demo-write-key"
  data-endpoint="${collector.url}"></script><h1>Self-hosted SDK</h1>`,
  );
  // The site's own origin is the one the collector accepts data from.
  collector = await startCollector({ env: { ORBIT_SITES: `demo:demo-write-key:${origin}` } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await collector?.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

async function visit(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  const warnings = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(`${origin}${path}`);
  await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        window.orbit('ready', resolve);
        setTimeout(() => reject(new Error('the tracker did not start within 10 s')), 10000);
      }),
  );
  const id = (await context.cookies()).find((c) => c.name === 'orbit_aid')?.value;
  const events = await waitFor(
    () => collector.exportEvents(),
    (all) => all.some((e) => e.anonymousId === id && e.type === 'page'),
  );
  await context.close();
  return { requests, errors, warnings, id, events };
}

test('SDK files from the site itself, data to the collector', async () => {
  const { requests, errors, id, events } = await visit('/');
  assert.ok(id, 'the visitor has an id');
  const page = events.find((e) => e.anonymousId === id && e.type === 'page');
  assert.equal(new URL(page.context.page.url).origin, origin);
  const sdk = requests.filter((u) => /\/(orbit[\w.-]*\.(m?js|wasm))$/.test(u));
  // The script tag's file (loader, entry and glue in one) and the .wasm.
  assert.equal(sdk.length, 2, JSON.stringify(sdk));
  assert.ok(sdk.some((u) => u.endsWith('/orbit.js')) && sdk.some((u) => u.endsWith('.wasm')), JSON.stringify(sdk));
  for (const url of sdk) assert.ok(url.startsWith(`${origin}/assets/orbit/`), url);
  assert.ok(!requests.some((u) => u.startsWith(`${collector.url}/sdk/`)), 'nothing from the collector\u2019s /sdk/');
  assert.ok(requests.some((u) => u.startsWith(`${collector.url}/v1/batch`)), 'data goes to the collector');
  assert.deepEqual(errors, []);
});

test('a CDN that serves the .wasm without its type still starts the full tracker', async () => {
  const { requests, errors, warnings, id, events } = await visit('/generic.html');
  const page = events.find((e) => e.anonymousId === id && e.type === 'page');
  assert.equal(page.context.fallback, undefined, 'the WebAssembly tracker, not the fallback');
  assert.ok(requests.some((u) => /\/cdn-generic\/orbit\/orbit_bg\.[0-9a-f]+\.wasm$/.test(u)));
  assert.ok(!requests.some((u) => u.includes('orbit-lite')), 'no fallback fetched');
  assert.equal(requests.filter((u) => u.endsWith('.wasm')).length, 1, 'the .wasm is fetched once');
  assert.ok(
    warnings.some((w) => w.includes('application/wasm')),
    `a warning says which type to serve: ${JSON.stringify(warnings)}`,
  );
  assert.deepEqual(errors, []);
});
