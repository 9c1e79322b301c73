/* Where a redirect rule sends the visitor (sdk-wasm/src/web/page.rs binds it): the target
   resolved against the page by the browser's own URL parser, with the page's query
   parameters the target does not set itself appended as they are written (campaign tags
   survive a split-URL test), or '' when the rule must not redirect: to the same page (same
   host and path: a loop), to a scheme other than http(s), mailto or tel, or to a URL the
   browser cannot read. Never throws into the page. `page` is the page's URL (for tests). */
export function redirectTarget(target, keepQuery, page = location.href) {
  try {
    const here = new URL(page);
    const url = new URL(target.trim(), here);
    if (!/^(https?|mailto|tel):$/.test(url.protocol) || (url.host == here.host && url.pathname == here.pathname)) return '';
    const name = (pair) => pair.split('=')[0];
    const own = url.search.slice(1).split('&').map(name);
    const extra = keepQuery ? here.search.slice(1).split('&').filter((pair) => pair && !own.includes(name(pair))) : [];
    if (extra.length) url.search = [url.search.slice(1), ...extra].filter(Boolean).join('&');
    return url.href;
  } catch {
    return '';
  }
}
