// The tracker as a visitor's page feels it, measured in headless Chromium on a bench page
// served by the real collector (127.0.0.1, rate limit off). Run by scripts/bench-sdk, which
// builds sdk-wasm/dist and the collector first. Nothing on the network is intercepted.
//
// 1. Size: the files the script tag loads, from sdk-wasm/dist (raw, .gz, .br), and what
//    Chromium transferred for /sdk/* (Resource Timing, plus Playwright's response sizes).
// 2. Ready: from the loader's request start, and from the .wasm's responseEnd, to ready;
//    median over BENCH_LOADS cold loads (a fresh browser context each: no HTTP cache), and
//    one warm load, for the full tracker (orbit.js) and for the core one (orbit-core.js),
//    whose goals are the tracker-core issue's. Ready is `orbit('ready', cb)` when the tracker has that command, else the
//    moment the tracker replaces the page's queue stub `window.orbit` (orbit.mjs's init does
//    that last, in the task that replays the queue).
// 3. track: BENCH_CALLS `orbit('track', 'Bench', {i, plan: 'pro'})` calls in chunks of 100,
//    each chunk its own task (setTimeout between them), timed with performance.now(); each
//    chunk is followed by `orbit('flush')`, timed apart, so the events are really sent, and
//    the export is read to count what the collector stored.
// 4. Long tasks: a buffered `longtask` PerformanceObserver registered before the script tag.
// 5. Personalisation: a page with RULES inline rules (none matching): `orbit('reapply')`
//    evaluates them all again (and reverts/applies nothing), timed BENCH_REAPPLY times; and
//    a page whose slot a rule changes: when the slot is revealed against the first
//    contentful paint, and whether its original content was ever painted (sampled before
//    every frame).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startCollector, launchBrowser, ANTI_FLICKER, inlineJson } from '../e2e/harness.mjs';

const LOADS = positive('BENCH_LOADS', 20);
const CALLS = positive('BENCH_CALLS', 10000);
const CHUNK = 100;
const RULES = 1000;
const REAPPLY = positive('BENCH_REAPPLY', 50);
const DIST = join(ROOT, 'sdk-wasm/dist');
const GOALS = {
  gzipBytes: 25 * 1024, // 25 KB, as the README counts KB (1,024 bytes)
  gzipAllBytes: 35 * 1024, // with forms and personalisation
  wasmToReadyMs: 20,
  evaluateMs: 1,
  trackUs: 50,
  longTaskMs: 50,
};

function positive(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) throw new Error(`${name} must be a positive whole number, not '${raw}'`);
  return Number(raw);
}

// ---------- formatting ----------
const int = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n, digits = 1) => (n === null || n === undefined ? 'n/a' : `${n.toFixed(digits)} ms`);
const us = (n) => `${n.toFixed(2)} µs`;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const say = (line = '') => console.log(line ? `    ${line}` : '');
const heading = (text) => console.log(`\n--- ${text}`);
function table(header, rows, align) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const cell = (v, i) => (align[i] === 'l' ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]));
  say(header.map(cell).join('  '));
  for (const row of rows) say(row.map(cell).join('  '));
}
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
const median = (values) => quantile(values, 0.5);

// ---------- 1a. sizes on disk ----------
/**
 * The files a script tag loads: the loader (`orbit.js`, or `orbit-core.js` for the core
 * bundle; with the entry and the glue bundled in) and the .wasm whose name it holds.
 */
function distFiles(loaderName = 'orbit.js') {
  const names = readdirSync(DIST);
  if (!names.includes(loaderName)) throw new Error(`${loaderName} is missing from ${DIST}: run scripts/build-sdk`);
  const loader = readFileSync(join(DIST, loaderName), 'utf8');
  const named = (label, pattern) => {
    const found = [...new Set(loader.match(pattern) || [])];
    if (found.length !== 1 || !names.includes(found[0])) {
      throw new Error(`expected one ${label} named in ${loaderName}, found ${found.join(', ') || 'none'}: run scripts/build-sdk`);
    }
    return found[0];
  };
  return [
    { role: 'loader', name: loaderName },
    { role: 'wasm', name: named('.wasm', /orbit_bg\.[0-9a-f]+\.wasm/g) },
  ].map((f) => {
    const size = (suffix) => {
      try {
        return statSync(join(DIST, f.name + suffix)).size;
      } catch {
        throw new Error(`${f.name}${suffix} is missing from ${DIST}: run scripts/build-sdk`);
      }
    };
    return { ...f, raw: size(''), gzip: size('.gz'), brotli: size('.br') };
  });
}

// ---------- the bench page ----------
// The head script runs before the tracker's script tag: a long-task observer, the queue
// stub the README documents, behind an accessor so the moment the tracker swaps in its own
// `window.orbit` is recorded exactly, and a queued `orbit('ready', cb)`.
const benchPage = (loader) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orbit SDK bench</title>
<script>
window.__bench = { longTasks: [], longTaskSupported: false, swappedAt: null, readyAt: null };
(function () {
  var b = window.__bench;
  try {
    b.longTaskSupported = PerformanceObserver.supportedEntryTypes.indexOf('longtask') >= 0;
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) { b.longTasks.push({ start: e.startTime, duration: e.duration }); });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { b.longTaskError = String(e); }
  var stub = function () { (stub.q = stub.q || []).push(arguments); };
  var current = stub;
  Object.defineProperty(window, 'orbit', {
    configurable: true,
    get: function () { return current; },
    set: function (v) {
      current = v;
      if (v !== stub && b.swappedAt === null) b.swappedAt = performance.now();
    }
  });
  stub('ready', function () { if (b.readyAt === null) b.readyAt = performance.now(); });
})();
</script>
<script async src="/sdk/${loader}" data-site="demo" data-key="demo-write-key"></script>
</head><body><h1>Orbit SDK bench</h1></body></html>
`;

// ---------- personalisation pages ----------
const SNIPPET = ANTI_FLICKER;

/** RULES rules of the kinds sites write (campaigns, paths, regexes, groups), none matching. */
function manyRules() {
  const rules = [];
  for (let i = 0; i < RULES; i++) {
    const conditions = [
      { attribute: 'utm_campaign', op: 'equals', value: `campaign-${i}`, ignore_case: true },
      { any: [{ attribute: 'path', op: 'starts_with', value: `/landing-${i}` }, { attribute: 'device', op: 'in', value: ['mobile', 'tablet'] }] },
    ];
    if (i % 10 === 0) conditions.push({ attribute: 'url', op: 'regex', value: `promo-${i}(/|$)` });
    if (i % 7 === 0) conditions.push({ attribute: 'visit_count', op: 'gte', value: 3 });
    rules.push({
      id: `rule-${i}`,
      priority: i % 10,
      ...(i % 3 === 0 ? { group: `group-${i % 50}` } : {}),
      conditions: { all: conditions },
      actions: [{ type: 'set_text', selector: `#slot-${i % 10} h2`, text: `Offer ${i}` }],
    });
  }
  return { version: 1, rules };
}

const RULES_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>rules bench</title>
${SNIPPET}<script type="application/json" id="orbit-rules">${inlineJson(manyRules())}</script>
<script async src="/sdk/orbit.js" data-site="demo" data-key="demo-write-key"></script></head>
<body>${Array.from({ length: 10 }, (_, i) => `<section id="slot-${i}" data-orbit-slot><h2>Slot ${i}</h2></section>`).join('')}</body></html>`;

const SLOT_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>slot bench</title>
<script>
window.__slot = { seen: [], shownAt: null };
new MutationObserver(function () {
  var s = document.querySelector('[data-orbit-slot]');
  if (s && s.hasAttribute('data-orbit-shown') && window.__slot.shownAt === null) window.__slot.shownAt = performance.now();
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-orbit-shown'] });
(function sample() {
  var s = document.querySelector('[data-orbit-slot]');
  if (s && getComputedStyle(s).visibility !== 'hidden') {
    var t = s.querySelector('h1').textContent;
    if (window.__slot.seen[window.__slot.seen.length - 1] !== t) window.__slot.seen.push(t);
  }
  requestAnimationFrame(sample);
})();
</script>
${SNIPPET}<script type="application/json" id="orbit-rules">${inlineJson({
  version: 1,
  rules: [{ id: 'hero', actions: [{ type: 'set_text', selector: '#hero h1', text: 'Personalised headline' }] }],
})}</script>
<script async src="/sdk/orbit.js" data-site="demo" data-key="demo-write-key"></script></head>
<body><p>Other content paints first.</p><section id="hero" data-orbit-slot><h1>Original headline</h1></section></body></html>`;

/** Times `orbit('reapply')` over RULES non-matching rules, and a personalised slot's reveal. */
async function personalisationRun(browser, base) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}/rules.html`);
    await page.evaluate(() => new Promise((r) => window.orbit('ready', r)));
    const reapply = await page.evaluate((n) => {
      const times = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        window.orbit('reapply');
        times.push(performance.now() - t);
      }
      return times;
    }, REAPPLY);
    const slots = [];
    for (let i = 0; i < 5; i++) {
      const p = await context.newPage();
      await p.goto(`${base}/slot.html`);
      await p.evaluate(() => new Promise((r) => window.orbit('ready', r)));
      await p.waitForTimeout(100);
      slots.push(
        await p.evaluate(() => ({
          seen: window.__slot.seen,
          shownAt: window.__slot.shownAt,
          fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
        })),
      );
      await p.close();
    }
    return { reapply, slots };
  } finally {
    await context.close();
  }
}

// ---------- page loads ----------
let readyCommand = null; // null: not known yet; then true or false after the first load

/** Loads the bench page in `context` and returns its timings and /sdk/ resources. */
async function loadPage(context, url, loaderName = 'orbit.js') {
  const page = await context.newPage();
  const sdkResponses = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/sdk/')) sdkResponses.push(r);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.__bench.swappedAt !== null, null, { timeout: 20000 });
  if (readyCommand === null) {
    // An unknown command costs one console warning and the callback never runs.
    readyCommand = await page
      .waitForFunction(() => window.__bench.readyAt !== null, null, { timeout: 2000 })
      .then(() => true, () => false);
  } else if (readyCommand) {
    await page.waitForFunction(() => window.__bench.readyAt !== null, null, { timeout: 20000 });
  }
  const data = await page.evaluate(() => ({
    bench: window.__bench,
    crossOriginIsolated: window.crossOriginIsolated,
    resources: performance
      .getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.startsWith('/sdk/'))
      .map((e) => ({
        path: new URL(e.name).pathname,
        initiatorType: e.initiatorType,
        startTime: e.startTime,
        responseEnd: e.responseEnd,
        transferSize: e.transferSize,
        encodedBodySize: e.encodedBodySize,
        decodedBodySize: e.decodedBodySize,
      })),
  }));
  const responses = [];
  for (const r of sdkResponses) {
    await r.finished();
    const sizes = await r.request().sizes();
    responses.push({
      path: new URL(r.url()).pathname,
      status: r.status(),
      encoding: (await r.headerValue('content-encoding')) || 'identity',
      acceptEncoding: (await r.request().headerValue('accept-encoding')) || '',
      bodyBytes: sizes.responseBodySize,
      headerBytes: sizes.responseHeadersSize,
    });
  }
  const find = (test) => data.resources.find((e) => test(e.path));
  const loader = find((p) => p.endsWith(`/${loaderName}`));
  const wasm = find((p) => p.endsWith('.wasm'));
  const readyAt = readyCommand ? data.bench.readyAt : data.bench.swappedAt;
  const timings = {
    readyAt,
    scriptToReady: loader ? readyAt - loader.startTime : null,
    wasmToReady: wasm ? readyAt - wasm.responseEnd : null,
    lastSdkToReady: readyAt - Math.max(...data.resources.map((e) => e.responseEnd)),
  };
  return { page, data, responses, timings };
}

async function coldLoads(browser, url, loaderName) {
  const runs = [];
  for (let n = 0; n < LOADS; n++) {
    const context = await browser.newContext();
    try {
      const run = await loadPage(context, url, loaderName);
      runs.push({ data: run.data, responses: run.responses, timings: run.timings });
    } finally {
      await context.close();
    }
  }
  return runs;
}

async function warmLoad(browser, url, loaderName) {
  const context = await browser.newContext();
  try {
    const first = await loadPage(context, url, loaderName);
    await first.page.close();
    const second = await loadPage(context, url, loaderName);
    return second;
  } finally {
    await context.close();
  }
}

// ---------- track calls ----------
async function trackRun(browser, url, collector) {
  const context = await browser.newContext();
  try {
    const { page } = await loadPage(context, url);
    // Playwright sees every batch the page starts; the collector's /metrics says which
    // arrived. A batch Chromium refuses (fetch keepalive quota) never finishes in Playwright.
    let started = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/batch') started++;
    });
    // The page event of the load goes first, so the loop starts on a quiet page.
    await page.waitForLoadState('networkidle');
    const before = await batchAnswers(collector.url);
    started = 0;

    const loop = await page.evaluate(
      async ({ calls, chunk }) => {
        const track = [];
        const flush = [];
        const startedAt = performance.now();
        for (let i = 0; i < calls; ) {
          const n = Math.min(chunk, calls - i);
          const t0 = performance.now();
          for (let k = 0; k < n; k++, i++) window.orbit('track', 'Bench', { i, plan: 'pro' });
          const t1 = performance.now();
          window.orbit('flush');
          const t2 = performance.now();
          track.push({ n, ms: t1 - t0 });
          flush.push(t2 - t1);
          await new Promise((r) => setTimeout(r));
        }
        return { startedAt, endedAt: performance.now(), track, flush };
      },
      { calls: CALLS, chunk: CHUNK },
    );

    // Settled: no new batch started or answered for 5 s, which outlasts a short retry
    // back-off (at most 2 minutes in all).
    const deadline = Date.now() + 120000;
    let answers = await batchAnswers(collector.url);
    let stableSince = Date.now();
    let seen = started;
    while (Date.now() < deadline && Date.now() - stableSince < 5000) {
      await new Promise((r) => setTimeout(r, 250));
      const now = await batchAnswers(collector.url);
      if (JSON.stringify(now) !== JSON.stringify(answers) || started !== seen) stableSince = Date.now();
      answers = now;
      seen = started;
    }
    const received = {};
    for (const [status, n] of Object.entries(answers)) {
      const delta = n - (before[status] || 0);
      if (delta > 0) received[status] = delta;
    }
    const stored = new Set();
    for (const e of await collector.exportEvents()) {
      if (e.type === 'track' && e.event === 'Bench') stored.add(e.properties?.i);
    }
    const batches = { started, received };
    const bench = await page.evaluate(() => window.__bench);
    return { loop, batches, stored: stored.size, longTasks: bench.longTasks };
  } finally {
    await context.close();
  }
}

/** The collector's answers to POST /v1/batch so far, by status, from /metrics. */
async function batchAnswers(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts = {};
  for (const m of text.matchAll(/^orbit_http_requests_total\{route="\/v1\/batch",status="(\d+)"\} (\d+)$/gm)) {
    counts[m[1]] = Number(m[2]);
  }
  return counts;
}

// ---------- main ----------
const cleanups = [];
let stopping = false;
async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (error) {
      console.error(`cleanup: ${error.message}`);
    }
  }
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    stopping = true;
    cleanup().finally(() => process.exit(code));
  });
}

async function main() {
  const files = distFiles();
  const coreFiles = distFiles('orbit-core.js');
  const siteDir = mkdtempSync(join(tmpdir(), 'orbit-bench-site-'));
  cleanups.push(() => rmSync(siteDir, { recursive: true, force: true }));
  writeFileSync(join(siteDir, 'bench.html'), benchPage('orbit.js'));
  writeFileSync(join(siteDir, 'bench-core.html'), benchPage('orbit-core.js'));
  writeFileSync(join(siteDir, 'rules.html'), RULES_PAGE);
  writeFileSync(join(siteDir, 'slot.html'), SLOT_PAGE);

  // All the load comes from one address: the per-client rate limit is off.
  const collector = await startCollector({
    siteDir,
    env: { ORBIT_CLIENT_REQUESTS_PER_SECOND: '0', ORBIT_LOG: 'warn' },
  });
  cleanups.push(() => collector.stop());
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const url = `${collector.url}/bench.html`;
  say(`collector ${collector.url} (debug build), Chromium ${browser.version()}, page ${url}`);
  // The page, the browser and the collector share these CPUs: other work skews the times.
  const cpu = cpus();
  say(`${cpu.length} CPUs (${cpu[0]?.model.trim() || 'unknown'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const cold = await coldLoads(browser, url, 'orbit.js');
  const warm = await warmLoad(browser, url, 'orbit.js');
  const coreUrl = `${collector.url}/bench-core.html`;
  const coreCold = await coldLoads(browser, coreUrl, 'orbit-core.js');
  const coreWarm = await warmLoad(browser, coreUrl, 'orbit-core.js');
  const tracked = await trackRun(browser, url, collector);
  const personal = await personalisationRun(browser, collector.url);

  // 1. Size
  heading('1. Transfer size of the tracker (bytes)');
  say(`In ${DIST.replace(ROOT + '/', '')} (the .gz/.br files scripts/build-sdk writes):`);
  const total = files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }), {
    raw: 0,
    gzip: 0,
    brotli: 0,
  });
  table(
    ['file', 'raw', 'gzip', 'brotli'],
    [
      ...files.map((f) => [f.name, int(f.raw), int(f.gzip), int(f.brotli)]),
      ['total (what the script tag loads)', int(total.raw), int(total.gzip), int(total.brotli)],
    ],
    ['l', 'r', 'r', 'r'],
  );
  say('orbit.js holds the loader, the entry and the wasm-bindgen glue (scripts/build-sdk bundles them).');
  const coreTotal = coreFiles.reduce((t, f) => ({ gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }), { gzip: 0, brotli: 0 });
  say('');
  say('The core bundle (orbit-core.js: analytics without forms and personalisation):');
  table(
    ['file', 'raw', 'gzip', 'brotli'],
    [
      ...coreFiles.map((f) => [f.name, int(f.raw), int(f.gzip), int(f.brotli)]),
      ['total', int(coreFiles.reduce((t, f) => t + f.raw, 0)), int(coreTotal.gzip), int(coreTotal.brotli)],
    ],
    ['l', 'r', 'r', 'r'],
  );

  const first = cold[0];
  say('');
  say('What Chromium transferred on a cold load (Resource Timing; encoding from Playwright):');
  const rows = [];
  let sumEncoded = 0;
  let sumTransfer = 0;
  for (const e of first.data.resources) {
    const r = first.responses.find((x) => x.path === e.path);
    sumEncoded += e.encodedBodySize;
    sumTransfer += e.transferSize;
    rows.push([
      e.path.replace('/sdk/', ''),
      e.initiatorType,
      r ? String(r.status) : '?',
      r ? r.encoding : '?',
      int(e.encodedBodySize),
      int(e.transferSize),
      int(e.decodedBodySize),
    ]);
  }
  rows.push(['total', '', '', '', int(sumEncoded), int(sumTransfer), '']);
  table(
    ['file', 'initiator', 'status', 'encoding', 'body', 'transfer', 'decoded'],
    rows,
    ['l', 'l', 'r', 'l', 'r', 'r', 'r'],
  );
  const accept = first.responses[0]?.acceptEncoding || '?';
  say(`body = encodedBodySize; transfer = transferSize (body + response headers).`);
  say(`Chromium sent Accept-Encoding: ${accept}`);
  const fetched = new Set(first.data.resources.map((e) => e.path.replace('/sdk/', '')));
  const missing = files.filter((f) => !fetched.has(f.name)).map((f) => f.name);
  if (missing.length) say(`Not fetched by the browser: ${missing.join(', ')}`);

  // 2. Ready
  heading(`2. Time to ready (${LOADS} cold loads, a fresh browser context each; one warm load)`);
  say(
    readyCommand
      ? "ready signal: orbit('ready', cb) (queued in the page's stub before the script tag)"
      : "ready signal: the tracker replacing the queue stub window.orbit (no orbit('ready', cb) in this build)",
  );
  const series = (runs, key) => runs.map((r) => r.timings[key]).filter((v) => v !== null);
  const readyTable = (runs, warmRun) => {
    const rows = [
      ['loader request start -> ready', 'scriptToReady'],
      ['.wasm responseEnd -> ready', 'wasmToReady'],
      ['last /sdk/ responseEnd -> ready', 'lastSdkToReady'],
      ['navigation start -> ready', 'readyAt'],
    ].map(([label, key]) => {
      const v = series(runs, key);
      return [label, ms(median(v)), ms(Math.min(...v)), ms(quantile(v, 0.9)), ms(Math.max(...v)), ms(warmRun.timings[key])];
    });
    table(['', 'median', 'min', 'p90', 'max', 'warm'], rows, ['l', 'r', 'r', 'r', 'r', 'r']);
    const warmTransfer = warmRun.data.resources.reduce((t, e) => t + e.transferSize, 0);
    say(`warm load: the second load in one context; it transferred ${int(warmTransfer)} bytes for /sdk/* (0 = from the HTTP cache).`);
  };
  say('The full tracker (orbit.js):');
  readyTable(cold, warm);
  say('');
  say('The core tracker (orbit-core.js):');
  readyTable(coreCold, coreWarm);
  const wasmToReadyMedian = median(series(cold, 'wasmToReady'));
  const coreWasmToReadyMedian = median(series(coreCold, 'wasmToReady'));

  // 3. track
  heading(`3. Main-thread time per track call (${int(CALLS)} calls, ${Math.ceil(CALLS / CHUNK)} chunks of ${CHUNK})`);
  const { loop } = tracked;
  const trackMs = loop.track.reduce((t, c) => t + c.ms, 0);
  const perCall = loop.track.map((c) => (c.ms * 1000) / c.n);
  const meanUs = (trackMs * 1000) / CALLS;
  say(`mean ${us(meanUs)} per call (${ms(trackMs, 2)} for all calls)`);
  say(`per chunk, mean per call: p50 ${us(quantile(perCall, 0.5))}, p99 ${us(quantile(perCall, 0.99))}, max ${us(Math.max(...perCall))}`);
  say(`orbit('flush') after each chunk (serialise + fetch of ${CHUNK} events): p50 ${ms(quantile(loop.flush, 0.5), 2)}, p99 ${ms(quantile(loop.flush, 0.99), 2)}, max ${ms(Math.max(...loop.flush), 2)} (not in the track figures)`);
  say(`wall time of the whole loop, timers included: ${ms(loop.endedAt - loop.startedAt)}`);
  say(
    first.data.crossOriginIsolated
      ? 'timer: the page is cross-origin isolated (performance.now() to 5 µs)'
      : `timer: performance.now() is coarsened to 100 µs here (not cross-origin isolated): ±${(100 / CHUNK).toFixed(0)} µs on one chunk's per-call figure, negligible on the mean`,
  );
  const received = tracked.batches.received;
  const arrived = Object.values(received).reduce((t, n) => t + n, 0);
  const statuses = Object.entries(received).map(([s, n]) => `${n} x ${s}`).join(', ') || 'none';
  say(`batches: the page started ${tracked.batches.started} POST /v1/batch; the collector answered ${arrived} (${statuses})`);
  say(`stored by the collector (read back from /v1/export): ${int(tracked.stored)} of ${int(CALLS)} Bench events`);
  if (tracked.stored < CALLS) {
    say(`  lost: ${int(CALLS - tracked.stored)} events were not stored once the network had settled`);
    say('  (hint: Chromium refuses a fetch(keepalive) body while the page\'s keepalive bodies in flight');
    say('  would pass 64 KB, so a fast producer depends on what the tracker does with a refused batch)');
  }

  // 4. Long tasks
  heading('4. Longest task (PerformanceObserver "longtask", buffered, registered before the script tag)');
  const supported = first.data.bench.longTaskSupported;
  const loadTasks = [
    ...cold.flatMap((r) => r.data.bench.longTasks),
    ...coreCold.flatMap((r) => r.data.bench.longTasks),
    ...tracked.longTasks.filter((t) => t.start < loop.startedAt),
  ];
  const trackTasks = tracked.longTasks.filter((t) => t.start >= loop.startedAt);
  const longest = (tasks) => (tasks.length ? Math.max(...tasks.map((t) => t.duration)) : null);
  const describe = (tasks) =>
    !supported ? 'not measurable (longtask unsupported)' : tasks.length ? `${ms(longest(tasks))} (${tasks.length} over 50 ms)` : 'none over 50 ms';
  say(`during load (${2 * LOADS + 1} cold loads of both bundles): ${describe(loadTasks)}`);
  if (supported && loadTasks.length) {
    const perLoad = [
      ...cold.map((r) => r.data.bench.longTasks),
      ...coreCold.map((r) => r.data.bench.longTasks),
      tracked.longTasks.filter((t) => t.start < loop.startedAt),
    ]
      .map((tasks) => longest(tasks) ?? 0);
    say(`  longest per load: median ${ms(median(perLoad))} (0 = none over 50 ms), in ${perLoad.filter((v) => v > 0).length} of ${perLoad.length} loads`);
  }
  say(`during track calls: ${describe(trackTasks)}`);
  const chunkTasks = loop.track.map((c, i) => c.ms + loop.flush[i]);
  say(`longest chunk task, measured in the page (${CHUNK} track calls + their flush): ${ms(Math.max(...chunkTasks), 2)}`);
  say(`(the ${int(CALLS)} calls run in chunks of ${CHUNK} separated by setTimeout, so each chunk is its own task;`);
  say(' one synchronous loop would be one long task by construction.)');

  // 5. Personalisation
  heading(`5. Personalisation (${int(RULES)} inline rules, none matching; a slot a rule changes)`);
  const evaluate = median(personal.reapply);
  say(
    `orbit('reapply'), which evaluates all ${int(RULES)} rules again: median ${ms(evaluate, 3)}, ` +
      `p90 ${ms(quantile(personal.reapply, 0.9), 3)}, max ${ms(Math.max(...personal.reapply), 3)} over ${REAPPLY} runs`,
  );
  const painted = personal.slots.filter((r) => r.seen.includes('Original headline')).length;
  const shown = personal.slots.map((r) => r.shownAt).filter((v) => v !== null);
  const fcp = personal.slots.map((r) => r.fcp).filter((v) => v !== null);
  say(`slot revealed (data-orbit-shown) at median ${ms(median(shown))} after navigation start; first contentful paint at median ${ms(median(fcp))}`);
  say(`original content of the personalised slot painted: in ${painted} of ${personal.slots.length} loads (sampled before every frame)`);

  // 6. Summary
  heading('6. Summary');
  const verdict = (ok) => (ok ? 'MET' : 'NOT MET');
  const allLong = [...loadTasks, ...trackTasks];
  const longTaskOk = supported && allLong.every((t) => t.duration <= GOALS.longTaskMs);
  table(
    ['figure', 'measured', 'goal', ''],
    [
      ['core tracker (orbit-core.js), gzip', `${int(coreTotal.gzip)} B = ${kb(coreTotal.gzip)}`, '<= 25 KB', verdict(coreTotal.gzip <= GOALS.gzipBytes)],
      ['with forms + personalisation (orbit.js)', `${int(total.gzip)} B = ${kb(total.gzip)}`, '<= 35 KB', verdict(total.gzip <= GOALS.gzipAllBytes)],
      ['evaluate 1,000 rules (reapply)', `${ms(evaluate, 3)} median`, '< 1 ms', verdict(evaluate !== null && evaluate < GOALS.evaluateMs)],
      ['personalised slot painted with original', `${painted} of ${personal.slots.length} loads`, 'never', verdict(painted === 0)],
      [
        'ready after the .wasm arrives (orbit-core.js)',
        `${ms(coreWasmToReadyMedian)} median`,
        '<= 20 ms',
        verdict(coreWasmToReadyMedian !== null && coreWasmToReadyMedian <= GOALS.wasmToReadyMs),
      ],
      [
        'ready after the .wasm arrives (orbit.js)',
        `${ms(wasmToReadyMedian)} median`,
        '<= 20 ms',
        verdict(wasmToReadyMedian !== null && wasmToReadyMedian <= GOALS.wasmToReadyMs),
      ],
      ['main thread per track call', `${us(meanUs)} mean`, '< 50 µs', verdict(meanUs < GOALS.trackUs)],
      [
        'longest task (load + track calls)',
        !supported ? 'n/a' : allLong.length ? ms(longest(allLong)) : 'none > 50 ms',
        'none > 50 ms',
        verdict(longTaskOk),
      ],
    ],
    ['l', 'r', 'r', 'l'],
  );
  if (tracked.stored < CALLS) say(`note: only ${int(tracked.stored)} of ${int(CALLS)} tracked events were stored (see 3).`);
}

try {
  await main();
} catch (error) {
  // After a signal the browser is closed under the run: that error is not news.
  if (!stopping) console.error(`\nerror: ${error.stack || error.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
