// Shared by the end-to-end tests: start the real collector on a free loopback port with a
// temporary database, drive Debian's Chromium with playwright-core, read /v1/export.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'tests/artifacts');
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const BINARY = process.env.ORBIT_COLLECTOR_BIN || join(ROOT, 'target/debug/orbit-collector');

/**
 * Starts `orbit-collector serve` and resolves once it prints the address it listens on.
 * `listen` and `dataDir` let a test restart a collector on the same port and database.
 */
export async function startCollector({ env = {}, siteDir, listen = '127.0.0.1:0', dataDir } = {}) {
  dataDir = dataDir || mkdtempSync(join(tmpdir(), 'orbit-e2e-'));
  // The developer's own ORBIT_* settings must not leak into the test's collector.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ORBIT_')),
  );
  const child = spawn(
    BINARY,
    ['serve', '--listen', listen, '--storage', `sqlite://${join(dataDir, 'orbit.db')}`],
    {
      cwd: ROOT,
      env: {
        ...inherited,
        ORBIT_ADMIN_TOKEN: ADMIN_TOKEN,
        ORBIT_SDK_DIR: join(ROOT, 'sdk-wasm/dist'),
        ORBIT_SITE_DIR: siteDir || join(ROOT, 'demo-site'),
        ORBIT_LOG: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start:\n${output}`)), 15000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    dataDir,
    /** GETs an admin endpoint (`/v1/export?site=demo`) and returns its body as text. */
    async adminText(path) {
      const response = await fetch(`${url}${path}`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.text();
    },
    /** Sends an admin request with a JSON body; returns `{status, body}` (body as text). */
    async adminSend(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.text() };
    },
    /** The site's stored events as NDJSON text, as `/v1/export` gives them. */
    exportText(site = 'demo') {
      return this.adminText(`/v1/export?site=${site}`);
    },
    async exportEvents(site = 'demo') {
      return (await this.exportText(site))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    },
    /** Stops the collector; its database is removed unless `keepData`. */
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The README's anti-flicker snippet: slots hidden until the tracker decides, or 800 ms. */
export const ANTI_FLICKER = `<style id="orbit-hide">[data-orbit-slot]:not([data-orbit-shown]){visibility:hidden!important}</style>
<script>setTimeout(function(){var s=document.getElementById('orbit-hide');s&&s.remove()},800)</script>`;

/** The tracker's script tag for the demo site, served by the collector. */
export const ORBIT_TAG = `<script async src="/sdk/orbit.js" data-site="demo" data-key="demo-write-key"></script>`;

/** JSON for an inline `<script>`: `</script>` inside it would end the element, so `<` is \u003c. */
export const inlineJson = (value) => JSON.stringify(value).replace(/</g, '\\u003c');

/** A page with a rule document inline, the snippet and the tracker. */
export const rulesPage = (rules, body, { head = '' } = {}) => `<!doctype html><html><head><title>P</title>
${ANTI_FLICKER}${head}
<script type="application/json" id="orbit-rules">${inlineJson(rules)}</script>
${ORBIT_TAG}</head><body>${body}</body></html>`;

/** Headless Chromium from Debian, as this machine needs it (no browser downloads here). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      // Test host names (subdomains, a public-suffix host) that all resolve to loopback.
      '--host-resolver-rules=MAP *.shop.test 127.0.0.1, MAP *.herokuapp.com 127.0.0.1, MAP *.example.co.uk 127.0.0.1',
    ],
  });
}

/** Polls `read` until `done(value)` holds; fails with the last value after `ms`. */
export async function waitFor(read, done, ms = 10000) {
  const deadline = Date.now() + ms;
  let value;
  for (;;) {
    value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function artifactPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/**
 * For one test file: a site folder holding `pages` (file name → HTML), and the demo site's
 * files too when `withDemo`; a collector serving it; a browser. `stop()` undoes all three.
 */
export async function startSite(pages, { withDemo = false, prefix = 'orbit-site-' } = {}) {
  const siteDir = mkdtempSync(join(tmpdir(), prefix));
  if (withDemo) cpSync(join(ROOT, 'demo-site'), siteDir, { recursive: true });
  for (const [name, html] of Object.entries(pages)) writeFileSync(join(siteDir, name), html);
  const collector = await startCollector({ siteDir });
  const browser = await launchBrowser();
  return {
    collector,
    browser,
    async stop() {
      await browser.close();
      await collector.stop();
      rmSync(siteDir, { recursive: true, force: true });
    },
  };
}

/** Opens `url` in a fresh context and waits for `orbit('ready')`. */
export async function openReady(browser, url, { initScript, onPage } = {}) {
  const context = await browser.newContext();
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  if (onPage) onPage(page);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.evaluate(() => new Promise((resolve) => window.orbit('ready', resolve)));
  const anonymousId = async () =>
    (await context.cookies()).find((c) => c.name === 'orbit_aid')?.value;
  return { context, page, errors, anonymousId };
}
