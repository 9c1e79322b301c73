// Form tracking against the real collector: starts, completed fields, errors, submissions,
// abandonment when the tab is closed, lead capture linking earlier page views, and the
// guarantee that typed passwords and card numbers never leave the browser in any form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startSite, openReady, waitFor } from './harness.mjs';

let site;
let collector;

const tag = (extra = '') =>
  `<script async src="/sdk/orbit.js" data-site="demo" data-key="demo-write-key" ${extra}></script>`;

const SIGNUP = `
  <form id="signup" action="#">
    <input name="full_name" id="full_name">
    <input name="email" type="email" id="email" required>
    <input name="company" id="company" data-orbit-capture>
    <input name="password" type="password" id="password" data-orbit-capture>
    <input name="card" id="card" autocomplete="cc-number" data-orbit-capture>
    <input name="notes" id="notes" data-orbit-capture>
    <input type="hidden" name="campaign" value="spring">
    <select name="role" id="role"><option value="">-</option><option>Sales</option></select>
    <button type="submit" id="go">Go</button>
  </form>
  <form data-orbit-ignore id="private"><input name="secret" id="secret"></form>
  <input name="outside_secret" id="outside_secret" form="private">
  <div id="later"></div>
  <script>
    document.getElementById('signup').addEventListener('submit', (e) => e.preventDefault());
  </script>`;

before(async () => {
  site = await startSite(
    {
      'form.html': `<!doctype html><title>Form</title>${tag()}${SIGNUP}`,
      'lead.html': `<!doctype html><title>Lead</title>${tag('data-lead-capture')}${SIGNUP}`,
      'listed.html': `<!doctype html><title>Listed</title>
        <script type="application/json" id="orbit-rules">{"version":1,"capture":["company","password"],"rules":[]}</script>
        ${tag()}<form id="short"><input name="company"><input name="password" type="password"><input name="notes"></form>`,
      'core.html': `<!doctype html><title>Core</title>
        <script async src="/sdk/orbit-core.js" data-site="demo" data-key="demo-write-key"></script>${SIGNUP}`,
      'hashed.html': `<!doctype html><title>Hashed</title>${tag('data-lead-capture data-hash-email')}${SIGNUP}`,
      // A form in an open shadow root: its submit, change and invalid events do not leave it.
      'shadow.html': `<!doctype html><title>Shadow</title>${tag()}<signup-box></signup-box><script>
        customElements.define('signup-box', class extends HTMLElement {
          connectedCallback() {
            const root = this.attachShadow({ mode: 'open' });
            root.innerHTML = '<form><input name="full_name"><input name="email" type="email" required>' +
              '<select name="size"><option value="">-</option><option>51-200</option></select>' +
              '<button type="submit">Go</button></form>';
            root.querySelector('form').addEventListener('submit', (e) => e.preventDefault());
          }
        });
        </script>`,
      // Two trackers on one page (two `init` calls): each records the page's forms itself.
      'twice.html': `<!doctype html><title>Twice</title>${SIGNUP}<script type="module">
        import { init } from '/sdk/orbit.mjs';
        const trackers = await Promise.all([
          init({ site: 'demo', key: 'demo-write-key' }),
          init({ site: 'demo', key: 'demo-write-key' }),
        ]);
        window.flushAll = () => trackers.forEach((t) => t('flush'));
        trackers[0]('ready', () => { window.moduleReady = true; });
        </script>`,
    },
    { prefix: 'orbit-forms-', withDemo: true },
  );
  collector = site.collector;
});

after(async () => {
  await site?.stop();
});

async function open(path) {
  const opened = await openReady(site.browser, `${collector.url}/${path}`);
  return { ...opened, id: await opened.anonymousId() };
}

const mine = async (id) => (await collector.exportEvents()).filter((e) => e.anonymousId === id);
const named = (events, name) => events.filter((e) => e.event === name);

test('a half-filled form whose tab is closed is stored as abandoned, with its last field', async () => {
  const { page, id } = await open('form.html');
  await page.fill('#full_name', 'Ada Lovelace');
  await page.fill('#company', 'Analytical Engines');
  await page.focus('#role');
  await page.close({ runBeforeUnload: true });
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Abandoned').length > 0,
  );
  assert.equal(named(events, 'Form Started').length, 1, 'started once');
  assert.deepEqual(named(events, 'Form Started')[0].properties.form_id, 'signup');
  const [abandoned] = named(events, 'Form Abandoned');
  assert.equal(abandoned.properties.form_id, 'signup');
  assert.equal(abandoned.properties.last_field, 'role');
  assert.equal(abandoned.properties.fields_completed, 2);
  const fields = named(events, 'Form Field Changed').map((e) => e.properties);
  assert.deepEqual(
    fields.map((f) => [f.field, f.position, f.field_type, f.empty]),
    [
      ['full_name', 1, 'text', false],
      ['company', 3, 'text', false],
    ],
  );
  assert.equal(fields[0].value, undefined, 'no value without data-orbit-capture');
  assert.equal(fields[1].value, 'Analytical Engines', 'data-orbit-capture sends the value');
});

test('passwords and card numbers leave no value, length or hash anywhere in the stored events', async () => {
  const { context, page, id } = await open('form.html');
  const password = 'Hunter2-Sekrit!';
  const card = '4111 1111 1111 1111';
  const ssn = '123-45-6789';
  await page.fill('#password', password);
  await page.fill('#card', card);
  await page.fill('#notes', ssn); // captured field, but the value looks like a national id
  await page.fill('#secret', 'in an ignored form');
  await page.fill('#email', 'ada@example.com'); // required: the submit needs it
  await page.focus('#full_name');
  await page.click('#go');
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Submitted').length > 0,
  );
  const raw = await collector.exportText();
  const sha = (s) => createHash('sha256').update(s).digest('hex');
  for (const secret of [password, card, card.replaceAll(' ', ''), ssn, 'in an ignored form']) {
    assert.ok(!raw.includes(secret), `"${secret}" is not stored`);
    assert.ok(!raw.includes(sha(secret)), `no hash of "${secret}" is stored`);
  }
  const allowed = ['corrections', 'duration_ms', 'empty', 'field', 'field_type', 'form_id', 'position'];
  for (const event of named(events, 'Form Field Changed')) {
    assert.deepEqual(Object.keys(event.properties).sort(), allowed, JSON.stringify(event.properties));
  }
  assert.ok(!raw.includes('"secret"'), 'a field of an ignored form is not tracked');
  const submitted = named(events, 'Form Submitted')[0].properties;
  assert.equal(submitted.form_id, 'signup');
  assert.equal(submitted.lead, false, 'lead capture is off on this page');
  assert.equal(submitted.fields_filled, 4);
  await context.close();
});

test('an invalid email and a field the page marks aria-invalid are form errors', async () => {
  const { context, page, id } = await open('form.html');
  await page.fill('#email', 'not-an-email');
  await page.evaluate(() => document.getElementById('signup').requestSubmit());
  await page.evaluate(() => document.getElementById('company').setAttribute('aria-invalid', 'true'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Error').length >= 2,
  );
  const errors = named(events, 'Form Error').map((e) => [e.properties.field, e.properties.error]);
  assert.deepEqual(errors.sort(), [
    ['company', 'aria-invalid'],
    ['email', 'typeMismatch'],
  ]);
  assert.ok(!JSON.stringify(events).includes('not-an-email'), 'the typed text is not sent');
  await context.close();
});

test('forms added after load and submitted through JavaScript are tracked', async () => {
  const { context, page, id } = await open('form.html');
  await page.evaluate(() => {
    document.getElementById('later').innerHTML =
      '<form data-orbit-form="Step 1"><input name="size"><input name="budget"></form>';
  });
  await page.fill('[name=size]', '51-200');
  await page.focus('[name=budget]');
  await page.evaluate(() => window.orbit('formSubmitted', document.querySelector('[data-orbit-form]')));
  await page.evaluate(() => window.orbit('formSubmitted', 'not a form'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Submitted').length > 0,
  );
  assert.deepEqual(
    named(events, 'Form Started').map((e) => e.properties),
    [{ form_id: 'Step 1', field: 'size' }],
  );
  const submitted = named(events, 'Form Submitted')[0].properties;
  assert.equal(submitted.form_id, 'Step 1');
  assert.equal(submitted.fields_filled, 1);
  assert.ok(submitted.duration_ms >= 0);
  await context.close();
});

test("two trackers on one page each record the page's forms", async () => {
  const context = await site.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${collector.url}/twice.html`);
  await page.waitForFunction(() => window.moduleReady === true, null, { timeout: 10000 });
  const id = (await context.cookies()).find((c) => c.name === 'orbit_aid')?.value;
  await page.fill('#full_name', 'Ada');
  await page.fill('#email', 'ada@example.com');
  await page.click('#go');
  await page.evaluate(() => window.flushAll());
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Submitted').length >= 2,
  );
  // One of each per tracker (their own message ids), none lost to the other.
  assert.deepEqual(
    named(events, 'Form Started').map((e) => e.properties.form_id),
    ['signup', 'signup'],
  );
  assert.deepEqual(
    named(events, 'Form Submitted').map((e) => e.properties.fields_filled),
    [2, 2],
  );
  await context.close();
});

test('with lead capture, a submission identifies the visitor and links earlier page views', async () => {
  const { context, page, id } = await open('lead.html');
  await page.evaluate(() => window.orbit('page', 'Pricing'));
  await page.fill('#email', '  Ada@Example.com ');
  await page.fill('#company', 'Analytical Engines');
  await page.fill('#password', 'Hunter2-Sekrit!');
  await page.click('#go');
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Submitted').length > 0 && all.some((e) => e.type === 'identify'),
  );
  const identify = events.find((e) => e.type === 'identify');
  assert.deepEqual(identify.traits, { email: 'ada@example.com', company: 'Analytical Engines' });
  assert.equal(identify.context.form_id, 'signup');
  assert.equal(named(events, 'Form Submitted')[0].properties.lead, true);
  assert.ok(events.filter((e) => e.type === 'page').length >= 2, 'earlier page views share the id');
  const { leads } = JSON.parse(await collector.adminText('/v1/leads?site=demo'));
  const lead = leads.find((l) => l.email === 'ada@example.com');
  assert.ok(lead, JSON.stringify(leads));
  assert.deepEqual(lead.anonymous_ids, [id]);
  assert.deepEqual(lead.forms_submitted.map((f) => f.form_id), ['signup']);
  assert.match(lead.landing_page, /\/lead\.html$/);
  await context.close();
});

test('with hashed emails, only the SHA-256 of the normalised email is sent', async () => {
  const { context, page, id } = await open('hashed.html');
  await page.fill('#email', 'Grace@Example.com');
  await page.click('#go');
  const events = await waitFor(
    () => mine(id),
    (all) => all.some((e) => e.type === 'identify'),
  );
  const identify = events.find((e) => e.type === 'identify');
  const expected = createHash('sha256').update('grace@example.com').digest('hex');
  assert.deepEqual(identify.traits, { email_sha256: expected });
  const raw = await collector.exportText();
  assert.ok(!raw.toLowerCase().includes('grace@example.com'), 'the plain email is not stored');
  await context.close();
});

test("the rule document's capture list allows a field's value, never a sensitive one", async () => {
  const { context, page, id } = await open('listed.html');
  await page.fill('[name=company]', 'Analytical Engines');
  await page.fill('[name=password]', 'Hunter2-Sekrit!');
  await page.fill('[name=notes]', 'call me');
  await page.focus('[name=company]');
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Field Changed').length >= 3,
  );
  const values = Object.fromEntries(
    named(events, 'Form Field Changed').map((e) => [e.properties.field, e.properties.value]),
  );
  assert.deepEqual(values, { company: 'Analytical Engines', password: undefined, notes: undefined });
  assert.ok(!(await collector.exportText()).includes('Hunter2'));
  await context.close();
});

test('the core bundle (orbit-core.js) records page views and events but no forms, and says why', async () => {
  const warnings = [];
  const { context, page, id } = await openReady(site.browser, `${collector.url}/core.html`, {
    onPage: (p) => p.on('console', (m) => m.type() === 'warning' && warnings.push(m.text())),
  }).then(async (o) => ({ ...o, id: await o.anonymousId() }));
  await page.fill('#full_name', 'Ada');
  await page.focus('#company');
  await page.evaluate(() => {
    window.orbit('track', 'Core Event');
    window.orbit('formSubmitted', document.getElementById('signup'));
    window.orbit('flush');
  });
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Core Event').length > 0,
  );
  assert.ok(events.some((e) => e.type === 'page'));
  assert.deepEqual(events.filter((e) => e.event?.startsWith('Form ')), []);
  assert.ok(warnings.some((w) => w.includes('orbit-core.js')), warnings.join('\n'));
  await context.close();
});

test('a form in an open shadow root is started, completed, flagged invalid and submitted', async () => {
  const { context, page, id } = await open('shadow.html');
  const field = (name) => page.locator(`signup-box [name=${name}]`);
  await field('full_name').fill('Ada');
  await field('size').selectOption('51-200');
  await page.locator('signup-box button').click(); // the email is required: invalid, no submit
  await field('email').fill('ada@example.com');
  await page.locator('signup-box button').click();
  await field('full_name').evaluate((input) => input.setAttribute('aria-invalid', 'true'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Submitted').length > 0 && named(all, 'Form Error').length >= 2,
  );
  assert.deepEqual(
    named(events, 'Form Started').map((e) => e.properties),
    [{ form_id: 'signup-box/form-1', field: 'full_name' }],
  );
  assert.deepEqual(
    named(events, 'Form Field Changed').map((e) => [e.properties.field, e.properties.position]),
    // The select changed without focus (completed at once); the name when focus left it.
    [
      ['size', 3],
      ['full_name', 1],
      ['email', 2],
    ],
  );
  assert.deepEqual(
    named(events, 'Form Error').map((e) => [e.properties.field, e.properties.error]),
    [
      ['email', 'valueMissing'],
      ['full_name', 'aria-invalid'],
    ],
  );
  const submitted = named(events, 'Form Submitted').map((e) => e.properties);
  assert.equal(submitted.length, 1);
  assert.equal(submitted[0].form_id, 'signup-box/form-1');
  assert.equal(submitted[0].fields_filled, 3);
  await context.close();
});

test('a field of an ignored form is not tracked, even outside it with form="id"', async () => {
  const { context, page, id } = await open('form.html');
  await page.fill('#outside_secret', 'kept in the browser');
  await page.fill('#full_name', 'Ada');
  await page.focus('#company');
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Field Changed').length > 0,
  );
  assert.deepEqual(
    events.filter((e) => e.event?.startsWith('Form ')).map((e) => [e.event, e.properties.form_id]),
    [
      ['Form Started', 'signup'],
      ['Form Field Changed', 'signup'],
    ],
  );
  assert.ok(!(await collector.exportText()).includes('outside_secret'));
  await context.close();
});

test("the demo's lead form counts one submission, once valid, and makes a lead; its multi-step form submits by script", async () => {
  const { context, page, id } = await open('index.html');
  await page.click('#lead-form button[type=submit]'); // everything empty: refused
  await page.fill('#lead-form [name=name]', 'Ada Lovelace');
  await page.fill('#lead-form [name=email]', 'ada@lumen.example');
  await page.fill('#lead-form [name=company]', 'Analytical Engines');
  await page.selectOption('#lead-form [name=role]', 'RevOps');
  await page.check('#lead-form [name=consent]');
  await page.click('#lead-form button[type=submit]');
  await page.waitForSelector('#lead-form .thanks', { state: 'visible' });
  await page.fill('#report-form [name=website]', 'https://analytical.example');
  await page.click('#report-form [data-next]');
  await page.fill('#report-form [name=report_email]', 'ada@lumen.example');
  await page.click('#report-form [data-send]');
  await page.evaluate(() => window.orbit('flush'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Submitted').length >= 2 && all.some((e) => e.type === 'identify'),
  );
  assert.deepEqual(
    named(events, 'Form Submitted').map((e) => [e.properties.form_id, e.properties.lead]),
    [
      ['Demo request', true],
      ['Intent report', true],
    ],
  );
  const errors = named(events, 'Form Error').map((e) => e.properties.field);
  assert.deepEqual([...new Set(errors)].sort(), ['company', 'consent', 'email', 'name', 'role']);
  const identify = events.find((e) => e.type === 'identify');
  assert.deepEqual(identify.traits, { email: 'ada@lumen.example', company: 'Analytical Engines', role: 'RevOps' });
  await context.close();
});

test('an SPA navigation abandons the started form, and the next page view starts it afresh, once', async () => {
  const { context, page, id } = await open('form.html');
  await page.fill('#full_name', 'Ada');
  await page.focus('#company');
  await page.evaluate(() => history.pushState({}, '', '#details')); // the same page view
  await page.fill('#company', 'Analytical Engines');
  await page.evaluate(() => history.pushState({}, '', '/form.html?step=2'));
  await page.fill('#company', 'Analytical Engines Ltd');
  await page.fill('#full_name', 'Ada Lovelace');
  await page.evaluate(() => window.orbit('flush'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Started').length >= 2 && named(all, 'Form Abandoned').length >= 1,
  );
  const starts = named(events, 'Form Started');
  assert.deepEqual(
    starts.map((e) => [e.properties.field, e.context.page.search]),
    [
      ['full_name', ''],
      ['company', '?step=2'],
    ],
  );
  const abandoned = named(events, 'Form Abandoned').map((e) => e.properties);
  assert.equal(abandoned.length, 1);
  assert.equal(abandoned[0].form_id, 'signup');
  assert.equal(abandoned[0].last_field, 'company');
  assert.equal(abandoned[0].fields_completed, 1, 'full_name; company was still being edited');
  await context.close();
});

test('a form submitted without being started has no time to complete (not 0 ms)', async () => {
  const { context, page, id } = await open('form.html');
  await page.evaluate(() => window.orbit('formSubmitted', document.getElementById('signup')));
  await page.evaluate(() => window.orbit('flush'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Submitted').length > 0,
  );
  const submitted = named(events, 'Form Submitted')[0].properties;
  assert.equal(submitted.form_id, 'signup');
  assert.ok(!('duration_ms' in submitted), JSON.stringify(submitted));
  assert.equal(named(events, 'Form Started').length, 0);
  await context.close();
});

/** Makes the page hidden, then visible again, as switching tabs does. */
const switchTabs = (page) =>
  page.evaluate(() => {
    for (const hidden of [true, false]) {
      Object.defineProperty(document, 'hidden', { value: hidden, configurable: true });
      Object.defineProperty(document, 'visibilityState', { value: hidden ? 'hidden' : 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }
  });

test('a form abandoned while the tab was hidden, then submitted, names that abandon in its Form Submitted', async () => {
  const { context, page, id } = await open('form.html');
  await page.fill('#full_name', 'Ada');
  await page.focus('#company');
  await switchTabs(page);
  await page.fill('#company', 'Analytical Engines');
  await page.fill('#email', 'ada@example.com');
  await page.evaluate(() => document.getElementById('signup').requestSubmit());
  await page.evaluate(() => window.orbit('flush'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Submitted').length > 0,
  );
  const [abandoned] = named(events, 'Form Abandoned');
  assert.equal(abandoned.properties.last_field, 'company');
  const submitted = named(events, 'Form Submitted').map((e) => e.properties);
  assert.equal(submitted.length, 1);
  assert.equal(submitted[0].abandoned_field, 'company');
  assert.equal(named(events, 'Form Started').length, 1, 'the same page view: started once');
  await context.close();
});

test("orbit('track', 'Form Submitted', {form_id}) ends the form: no Form Abandoned when the tab is closed", async () => {
  const { page, id } = await open('form.html');
  await page.fill('#full_name', 'Ada');
  await page.fill('#company', 'Analytical Engines');
  await page.evaluate(() => window.orbit('track', 'Form Submitted', { form_id: 'signup', plan: 'pro' }));
  await page.close({ runBeforeUnload: true });
  const events = await waitFor(
    () => mine(id),
    (all) => all.some((e) => e.event === 'Page Leave'),
  );
  const submitted = named(events, 'Form Submitted').map((e) => e.properties);
  assert.deepEqual(submitted, [{ form_id: 'signup', plan: 'pro' }], 'the event as the page gave it');
  assert.equal(named(events, 'Form Abandoned').length, 0, JSON.stringify(named(events, 'Form Abandoned')));
});

test('a page that checks validity on every keystroke gets one Form Error per field and kind', async () => {
  const { context, page, id } = await open('form.html');
  await page.evaluate(() => {
    const form = document.getElementById('signup');
    form.addEventListener('input', () => form.checkValidity());
  });
  await page.type('#full_name', 'Ada Lovelace');
  await page.fill('#email', 'not-an-email');
  await page.focus('#company');
  await page.type('#company', 'AE');
  await page.evaluate(() => window.orbit('flush'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Field Changed').length >= 2,
  );
  const errors = named(events, 'Form Error').map((e) => [e.properties.field, e.properties.error]);
  // While the name is typed: email is missing (once); once typed, it is mistyped (once,
  // however many keystrokes follow, in it or in the company).
  assert.deepEqual(errors, [
    ['email', 'valueMissing'],
    ['email', 'typeMismatch'],
  ]);
  await context.close();
});

test('a run of deletions is one correction', async () => {
  const { context, page, id } = await open('form.html');
  await page.focus('#full_name');
  await page.keyboard.type('Ada Lovelase');
  for (let i = 0; i < 3; i++) await page.keyboard.press('Backspace');
  await page.keyboard.type('ace');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('e');
  await page.focus('#company');
  await page.evaluate(() => window.orbit('flush'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'Form Field Changed').length >= 1,
  );
  const [changed] = named(events, 'Form Field Changed');
  assert.equal(changed.properties.field, 'full_name');
  assert.equal(changed.properties.corrections, 2);
  await context.close();
});

test("a field being edited when orbit('formSubmitted') is called is one Form Field Changed, not another when it loses focus", async () => {
  const { context, page, id } = await open('form.html');
  await page.evaluate(() => {
    document.getElementById('later').innerHTML = '<form data-orbit-form="Search"><input name="q"></form>';
    // A page that submits through JavaScript on Enter, the field still focused.
    document.querySelector('[name=q]').addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault(); // no native submission
      window.orbit('formSubmitted', e.target.form);
    });
  });
  await page.fill('[name=q]', 'pricing');
  await page.press('[name=q]', 'Enter');
  await page.focus('#full_name'); // the browser's `change` for q follows the submission
  await page.evaluate(() => window.orbit('track', 'After'));
  const events = await waitFor(
    () => mine(id),
    (all) => named(all, 'After').length > 0,
  );
  assert.deepEqual(
    events.filter((e) => e.properties?.form_id === 'Search').map((e) => [e.event, e.properties.field ?? null]),
    [
      ['Form Started', 'q'],
      ['Form Field Changed', 'q'],
      ['Form Submitted', null],
    ],
  );
  await context.close();
});
