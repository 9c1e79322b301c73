/* What rules test of the page that the browser reads best (sdk-wasm/src/web/page.rs binds
   it): the local hour (0–23) and ISO weekday (1 Monday … 7 Sunday), the device, browser
   and OS of the user agent `ua` (userAgentContext), then the parts of the page's URL
   (`page`, its href) and of its referrer, read by the browser's own URL parser rather than
   a second one in the .wasm: [hour, weekday, device, browser, os, host, path, hash,
   referrer, referrer domain, name, value, name, value, …], each part as orbit-core's
   `VisitorContext::set_user_agent`, `set_url` and `set_referrer` derive it from the same
   text, undefined where they give none. Never throws into the page (without a URL it gives
   the hour, weekday and user-agent parts only). `referrer` is the page's (for tests). */
export function pageContext(page, ua, referrer) {
  const now = new Date();
  const parts = [now.getHours(), now.getDay() || 7, ...userAgentContext(ua)];
  try {
    referrer ??= document.referrer;
    const url = new URL(page);
    const hash = page.indexOf('#');
    parts.push(
      host(url),
      url.pathname || '/',
      // `url.hash` is '' for a bare '#' too, where set_url gives Some("").
      hash < 0 ? undefined : page.slice(hash + 1),
      referrer || undefined,
      referrer ? host(new URL(referrer))?.replace(/^www\./, '') : undefined,
    );
    for (const [name, value] of new URLSearchParams(url.search)) parts.push(text(name), text(value));
  } catch {}
  return parts;
}

/** The host name without port, lowercase (as opaque hosts of non-http schemes are not), or
    undefined when empty (`file:`). */
const host = (url) => url.hostname.toLowerCase() || undefined;

/** A decoded query component that was not UTF-8 keeps only its ASCII characters, as
    orbit-core's decoder does, rather than the browser's U+FFFD for each bad byte. */
const text = (s) => (s.includes('\ufffd') ? s.replace(/[^\0-\x7f]/g, '') : s);

/** orbit-core's user-agent classifier (`classify` in core/src/enrich/ua.rs, which the
    collector keeps using) here rather than compiled into the .wasm: [device, browser, os],
    the device as its index in `DeviceType` (desktop, mobile, tablet, bot, unknown), the
    others undefined when unrecognised. The same tables in the same order, tokens matched
    case-sensitively and the bot markers ASCII case-insensitively: a RegExp's `i` without
    `u` folds no other letter onto ASCII (toLowerCase makes the Kelvin sign a `k`). Every
    token is ASCII, so finding it in UTF-16 finds it where Rust's byte search does.
    tests/fixtures/user-agents.json holds what both give. */
export function userAgentContext(ua) {
  const has = (token) => ua.includes(token);
  // The name of the first `token=name` entry (or `token`, its own name) whose token `ua`
  // contains.
  const first = (table) => table.split(',').find((entry) => has(entry.split('=')[0]))?.split('=').pop();
  const os = first(
    'Windows,iPhone=iOS,iPad=iOS,iPod=iOS,Android,CrOS=Chrome OS,Mac OS X=macOS,Macintosh=macOS,Linux',
  );
  const browser =
    first(
      'Edg/=Edge,EdgA/=Edge,EdgiOS/=Edge,Edge/=Edge,OPR/=Opera,Opera Mini/=Opera,SamsungBrowser/=Samsung Internet,Firefox/=Firefox,FxiOS/=Firefox,Chrome/=Chrome,CriOS/=Chrome,MSIE =Internet Explorer',
    ) ??
    (has('Safari/') && has('Version/') ? 'Safari' : has('Trident/') ? 'Internet Explorer' : undefined);
  const device =
    !ua || BOT_MARKERS.test(ua) ? 3
    : has('iPad') ? 2
    : has('iPhone') || has('iPod') ? 1
    : // Android phones send "Mobile" (Opera Mini, a phone browser, does not); tablets leave it
      // out by convention.
      os == 'Android' ? (has('Mobile') || has('Opera Mini') ? 1 : 2)
    : // " VR ": a headset (Quest, Pico), counted with the phones even with a Linux agent.
      has('Mobi') || has(' VR ') ? 1
    : os ? 0
    : 4;
  return [device, browser, os];
}

/** orbit-core's `is_bot`: a word ending in "bot" (no ASCII letter after it, not "cubot"), or
    one of its `BOT_MARKERS`. */
const BOT_MARKERS =
  /(?<!cu)bot(?![a-z])|crawl|spider|slurp|headlesschrome|phantomjs|lighthouse|pingdom|curl\/|wget\/|python-requests|python-urllib|go-http-client|java\/|okhttp|axios\/|node-fetch|facebookexternalhit|bingpreview|ahrefs|semrush|yandex|chatgpt-user|google-inspectiontool|mediapartners-google/i;
