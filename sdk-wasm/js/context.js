/* What rules test of the page that the browser reads best (sdk-wasm/src/web/page.rs binds
   it): the local hour (0–23) and ISO weekday (1 Monday … 7 Sunday), then the parts of the
   page's URL (`page`, its href) and of its referrer, read by the browser's own URL parser
   rather than a second one in the .wasm: [hour, weekday, host, path, hash, referrer,
   referrer domain, name, value, name, value, …], each part as orbit-core's
   `VisitorContext::set_url` and `set_referrer` derive it from the same text, undefined
   where they give none. Never throws into the page (without a URL it gives the hour and
   weekday only). `referrer` is the page's (for tests). */
export function pageContext(page, referrer) {
  const now = new Date();
  const parts = [now.getHours(), now.getDay() || 7];
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
