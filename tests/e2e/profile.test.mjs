// The closed loop through the collector's profiles, in headless Chromium against the real
// collector: what a visitor did (pages, a form) becomes a lead score and segments on the
// collector, which flow back into the visitor's next page view, where rules test them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openReady, waitFor, rulesPage } from './harness.mjs';

let site;
let collector;

const page = rulesPage;

const CTA = `<section data-orbit-slot="cta" id="cta"><a href="/signup">Start a free trial</a></section>`;

const SEGMENT_RULES = {
  version: 1,
  rules: [
    {
      id: 'hot-lead-cta',
      conditions: { attribute: 'segments', op: 'contains', value: 'hot-lead' },
      actions: [{ type: 'set_text', selector: '#cta a', text: 'Talk to sales' }],
    },
    {
      id: 'score-badge',
      conditions: { attribute: 'lead_score', op: 'gte', value: 10 },
      actions: [{ type: 'add_class', selector: '#cta', class: 'engaged' }],
    },
  ],
};

const PLAIN_RULES = {
  version: 1,
  rules: [{ id: 'plain', actions: [{ type: 'add_class', selector: '#cta', class: 'seen' }] }],
};

const DEFINITIONS = {
  lead_score: {
    points: [
      { event: 'page', path_prefix: '/pricing', points: 10, max: 20 },
      { event: 'Form Submitted', points: 40 },
    ],
  },
  segments: [
    { id: 'hot-lead', conditions: { attribute: 'lead_score', op: 'gte', value: 50 } },
    { id: 'pricing-visitor', conditions: { attribute: 'lead_score', op: 'gte', value: 10 } },
  ],
};

before(async () => {
  site = await startSite({
    'pricing.html': page(SEGMENT_RULES, CTA),
    'plain.html': page(PLAIN_RULES, CTA),
  });
  collector = site.collector;
  const put = await collector.adminSend('PUT', '/v1/sites/demo/profiles', DEFINITIONS);
  assert.equal(put.status, 201, put.body);
});

after(async () => {
  await site?.stop();
});

/** Requests the page made to the profile endpoint, with their status. */
function profileRequests(page) {
  const seen = [];
  page.on('response', (r) => {
    if (r.url().includes('/profile?')) seen.push({ url: r.url(), status: r.status(), method: r.request().method() });
  });
  return seen;
}

const ctaState = (p) =>
  p.evaluate(() => ({ text: document.querySelector('#cta a').textContent, engaged: document.querySelector('#cta').classList.contains('engaged') }));

test('a lead score and segments earned on the collector personalise the next page view', async () => {
  let requests;
  const { context, page: p, anonymousId } = await openReady(site.browser, `${collector.url}/pricing.html`, {
    onPage: (page) => (requests = profileRequests(page)),
  });
  try {
    const id = await anonymousId();
    assert.ok(id, 'the visitor has an id');
    // First page view: nothing earned yet.
    assert.deepEqual(await ctaState(p), { text: 'Start a free trial', engaged: false });

    // The visitor submits a form; the collector stores it with this page view.
    await p.evaluate(() => {
      window.orbit('track', 'Form Submitted', { form_id: 'demo' });
      window.orbit('flush');
    });
    await waitFor(
      async () => (await collector.exportEvents()).filter((e) => e.anonymousId === id).map((e) => e.event || e.type),
      (kinds) => kinds.includes('Form Submitted') && kinds.includes('page'),
    );
    const explained = JSON.parse(await collector.adminText(`/v1/sites/demo/profiles/${id}`));
    assert.deepEqual(explained.profile, { lead_score: 50, segments: ['hot-lead', 'pricing-visitor'] });

    // The next page view fetches the new profile (debug logs it); `reapply` applies it.
    const logged = [];
    p.on('console', (m) => logged.push(m.text()));
    await p.addInitScript(() => {
      window.orbit = function () {
        (window.orbit.q = window.orbit.q || []).push(arguments);
      };
      window.orbit('debug', true);
    });
    await p.reload();
    await p.evaluate(() => new Promise((r) => window.orbit('ready', r)));
    await waitFor(() => Promise.resolve(requests.filter((r) => r.status === 200).length), (n) => n >= 2);
    assert.equal(requests[1].status, 200, 'the earned profile is new, not a 304');
    await waitFor(
      () => Promise.resolve(logged.filter((t) => t.startsWith('[orbit] profile from the collector'))),
      (lines) => lines.length === 1,
    );
    assert.match(logged.find((t) => t.includes('profile from')), /hot-lead/);
    await p.evaluate(() => window.orbit('reapply'));
    assert.deepEqual(await ctaState(p), { text: 'Talk to sales', engaged: true });

    // The page view after that decides from the cached profile before the slot is shown.
    const seenHidden = [];
    await p.exposeFunction('__slotShown', (text) => seenHidden.push(text));
    await p.addInitScript(() => {
      new MutationObserver(() => {
        const slot = document.querySelector('#cta');
        if (slot && slot.hasAttribute('data-orbit-shown') && !window.__reported) {
          window.__reported = true;
          window.__slotShown(slot.querySelector('a').textContent);
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-orbit-shown'] });
    });
    await p.reload();
    await p.evaluate(() => new Promise((r) => window.orbit('ready', r)));
    await waitFor(() => Promise.resolve(seenHidden.length), (n) => n >= 1);
    assert.deepEqual(seenHidden, ['Talk to sales'], 'the slot was first shown personalised');
    assert.deepEqual(await ctaState(p), { text: 'Talk to sales', engaged: true });
    // An SPA view asks again: a long-lived page does not keep its first profile.
    const before = requests.length;
    await p.evaluate(() => history.pushState({}, '', '/pricing.html?step=2'));
    await waitFor(() => Promise.resolve(requests.length), (n) => n > before);
    for (const r of requests) {
      assert.ok(r.url.includes(`anonymousId=${encodeURIComponent(id)}`), r.url);
    }
  } finally {
    await context.close();
  }
});

test('rules that never test the profile make no profile request', async () => {
  let requests;
  const { context, page: p } = await openReady(site.browser, `${collector.url}/plain.html`, {
    onPage: (page) => (requests = profileRequests(page)),
  });
  try {
    await p.reload();
    await p.evaluate(() => new Promise((r) => window.orbit('ready', r)));
    await p.waitForTimeout(300);
    assert.equal(await p.evaluate(() => document.querySelector('#cta').classList.contains('seen')), true);
    assert.deepEqual(requests, []);
  } finally {
    await context.close();
  }
});

test('reset forgets the previous visitor\u2019s profile', async () => {
  const { context, page: p } = await openReady(site.browser, `${collector.url}/pricing.html`);
  try {
    await p.evaluate(() => {
      window.orbit('track', 'Form Submitted', { form_id: 'demo' });
      window.orbit('flush');
    });
    await p.waitForTimeout(300);
    await p.reload();
    await p.evaluate(() => new Promise((r) => window.orbit('ready', r)));
    await waitFor(
      () => p.evaluate(() => localStorage.getItem('orbit_profile') || ''),
      (text) => text.includes('hot-lead'),
    );
    await p.evaluate(() => window.orbit('reset'));
    assert.equal(await p.evaluate(() => localStorage.getItem('orbit_profile')), null);
    await p.evaluate(() => window.orbit('reapply'));
    assert.deepEqual(await ctaState(p), { text: 'Start a free trial', engaged: false });
  } finally {
    await context.close();
  }
});
