// Orbit's fallback for pages where WebAssembly cannot start (a Content-Security-Policy
// without 'wasm-unsafe-eval', a very old browser): loaded by orbit.mjs only then, it records
// page views with the same visitor id, consent and privacy rules, so data is not lost where
// personalisation and form tracking cannot run. Everything else is ignored.

const ID_KEY = 'orbit_aid';
const MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

/** A UUIDv7, as the full tracker makes: the collector looks up a visitor's profile only for
 * such time-ordered ids, and the full tracker keeps the id this one stored. */
function uuid() {
  const b = new Uint8Array(16);
  try {
    crypto.getRandomValues(b);
  } catch (_) {
    for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
  }
  // The first 48 bits: the time in milliseconds, big-endian.
  for (let i = 5, t = Date.now(); i >= 0; i--, t = Math.floor(t / 256)) b[i] = t % 256;
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function get(key) {
  try {
    return localStorage.getItem(key);
  } catch (_) {
    return null;
  }
}

/** The broadest parent domain of the page's host that the browser lets a cookie be set on
 * (the registrable domain: browsers refuse public suffixes), as the full tracker finds it
 * (sdk-wasm/src/identity.rs), so both share the visitor across subdomains; none for an IP
 * address, `localhost` or a registrable host itself. */
function sharedDomain() {
  const host = location.hostname || '';
  if (/^[\d.]+$|:/.test(host)) return;
  const parts = host.split('.');
  for (let i = parts.length - 2; i > 0; i--) {
    const probe = `orbit_probe=1; Path=/; SameSite=Lax; Domain=${parts.slice(i).join('.')}`;
    document.cookie = probe;
    if (/(?:^|;\s*)orbit_probe=1/.test(document.cookie)) {
      document.cookie = `${probe}; Max-Age=0`;
      return parts.slice(i).join('.');
    }
  }
}

function visitorId(cookieDomain = sharedDomain()) {
  const match = document.cookie.match(/(?:^|;\s*)orbit_aid=([^;]+)/);
  const id = (match && match[1]) || get(ID_KEY) || uuid();
  try {
    let cookie = `${ID_KEY}=${id}; Path=/; Max-Age=${MAX_AGE_SECONDS}; SameSite=Lax`;
    if (cookieDomain && cookieDomain !== 'none') cookie += `; Domain=${cookieDomain}`;
    if (location.protocol === 'https:') cookie += '; Secure';
    document.cookie = cookie;
    localStorage.setItem(ID_KEY, id);
  } catch (_) {
    // Storage refused: the id lives for this page only.
  }
  return id;
}

/** Starts the page-view-only tracker; returns `{ command }` or null when it must not run.
 * It shows the anti-flicker snippet's slots. Like the full tracker, it waits for `orbit('consent', 'granted')` where the site requires
 * consent, forgets the visitor on `'denied'`, and records a page view for each new URL of
 * a single-page app (history API, back/forward; a new fragment only with trackHash). */
export function start(options, reason) {
  // No rules run here: the slots the anti-flicker snippet hides are shown at once, not after
  // its timer (or never, where a CSP blocked the timer's inline script but not the style).
  try {
    document.getElementById('orbit-hide')?.remove();
  } catch (_) {
    // No document to show.
  }
  const flag = (v) => v !== undefined && v !== 'false';
  const nav = navigator;
  const cookieless = flag(options.cookieless);
  const optedOut = nav.doNotTrack === '1' || nav.globalPrivacyControl === true;
  if (optedOut && options.respectDnt !== 'false' && !cookieless) return null;
  // 'waiting' for consent, 'off' once denied, else tracking.
  let mode = options.consent === 'required' && get('orbit_consent') !== 'granted' ? 'waiting' : '';
  let id = null;
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/batch?key=${encodeURIComponent(options.key)}`;
  const view = () => (flag(options.trackHash) ? location.href : location.href.split('#')[0]);
  let shown = view();

  function page(name, properties) {
    if (mode) return;
    const info = {
      path: location.pathname,
      referrer: document.referrer,
      search: location.search,
      title: document.title,
      url: location.href,
    };
    const event = {
      type: 'page',
      messageId: uuid(),
      timestamp: new Date().toISOString(),
      properties: { ...info, ...(properties || {}) },
      context: { page: info, fallback: reason },
    };
    if (name) event.name = name;
    if (id) event.anonymousId = id;
    else event.context.cookieless = true;
    const body = JSON.stringify({
      batch: [event],
      sentAt: new Date().toISOString(),
      context: { library: { name: 'orbit-sdk', version: 'lite' }, userAgent: nav.userAgent, locale: nav.language },
    });
    // text/plain and no custom headers: a CORS-simple request, no preflight.
    fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(() => {});
  }

  function begin() {
    if (!cookieless) id = visitorId(options.cookieDomain);
    page();
  }

  // A single-page app's navigation: a page view when the URL (without its fragment, unless
  // trackHash) is new.
  function navigated() {
    if (view() !== shown) {
      shown = view();
      page();
    }
  }
  try {
    for (const method of ['pushState', 'replaceState']) {
      const original = history[method];
      history[method] = function () {
        const result = original.apply(this, arguments);
        navigated();
        return result;
      };
    }
    addEventListener('popstate', navigated);
    addEventListener('hashchange', navigated);
  } catch (_) {
    // No history to watch: page loads still count.
  }

  if (!mode) begin();
  return {
    command(name, args) {
      if (name === 'page') {
        const named = typeof args[0] === 'string';
        page(named ? args[0] : undefined, named ? args[1] : args[0]);
      } else if (name === 'ready' && typeof args[0] === 'function') {
        args[0]();
      } else if (name === 'consent' && args[0] === 'granted' && mode === 'waiting') {
        mode = '';
        try {
          localStorage.setItem('orbit_consent', 'granted');
        } catch (_) {
          // Consent for this page only.
        }
        begin();
      } else if (name === 'consent' && args[0] === 'denied') {
        // Nothing more is sent, and what the fallback stored is removed.
        mode = 'off';
        id = null;
        try {
          for (const domain of ['', options.cookieDomain ?? sharedDomain()]) {
            document.cookie = `${ID_KEY}=; Path=/; Max-Age=0${domain && domain !== 'none' ? `; Domain=${domain}` : ''}`;
          }
          localStorage.removeItem(ID_KEY);
          localStorage.removeItem('orbit_consent');
        } catch (_) {
          // Storage refused: nothing was stored there.
        }
      }
    },
  };
}
