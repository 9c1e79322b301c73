/* The HTML of rules' set_html and insert actions, sanitised with the browser's own parser as
   the tracker puts it into the page (sdk-wasm/src/web/dom.rs binds putHtml), and the checks
   of their set_attribute and set_style actions (js/personalize.js calls them). The allowlist is
   orbit-core's (core/src/rules/sanitize.rs, which the collector applies when a document is
   saved): the lists below are copies, which a test compares with the Rust ones, and the
   checks are the Rust sanitiser's. The HTML is parsed into a template's content, which is
   inert (no script runs, nothing loads); of that tree, only the text and copies of the
   allowed elements with their allowed attributes are kept, and those nodes, not HTML, go
   into the page, so nothing is parsed a second time (no mutation XSS). Nothing here throws
   into the page. */

const ALLOWED = 'a href target rel hreflang,abbr,article,aside,b,blockquote cite,br,button type disabled,cite,code,dd,del cite,div,dl,dt,em,figcaption,figure,footer,h1,h2,h3,h4,h5,h6,header,hr,i,img src srcset sizes alt width height loading decoding,ins cite,label for,li value,mark,nav,ol start reversed type,p,picture,pre,q cite,s,section,small,source src srcset sizes type media width height,span,strong,sub,sup,time datetime,u,ul,wbr';
const GLOBAL_ATTRIBUTES = 'class id title lang dir role hidden';
const RAW_TEXT = 'script style xmp iframe noembed noframes noscript textarea title';
const DROP_WITH_CONTENT = 'svg math template object applet select frameset head audio video canvas form datalist dialog';
const MAX_HTML_DEPTH = 32;
// Rules' set_attribute and set_style checks (orbit_core::rules::url).
const URL_ATTRIBUTES = 'href src action formaction xlink:href poster cite background data codebase ping lowsrc dynsrc manifest longdesc icon';
const CODE_IN_CSS_VALUES = 'expression( javascript: vbscript: @import -moz-binding';

// Each kept element's attributes, the global ones included.
const allowed = new Map(
  ALLOWED.split(',').map((entry) => {
    const [name, ...own] = entry.split(' ');
    return [name, new Set([...own, ...GLOBAL_ATTRIBUTES.split(' ')])];
  }),
);
// Dropped with their content, not only their tags: everything after a `<plaintext>` is in it.
const dropped = new Set(`${RAW_TEXT} ${DROP_WITH_CONTENT} plaintext`.split(' '));

/** Whether a URL is relative or http(s), mailto or tel: orbit_core::rules::is_safe_url (trim
 * C0 controls and spaces; tabs and newlines in a scheme count for nothing, other controls
 * make it unsafe). */
export function safeUrl(url) {
  const [, scheme = '', next] = /^([a-z][a-z\d+.\-\t\n\r]*)?([^]?)/i.exec(url.replace(/^[\0- ]+|[\0- ]+$/g, ''));
  return next == ':' ? /^(https?|mailto|tel)$/i.test(scheme.replace(/[\t\n\r]/g, '')) : !/[\0-\x1f\x7f]/.test(next);
}

/** Whether the first word of every comma-separated part of a srcset is a safe URL. */
const safeSrcset = (srcset) => srcset.split(',').every((part) => safeUrl(part.split(/[\t\n\f\r ]+/).find(Boolean) || ''));

/** Whether set_attribute may set `name` to `value`: orbit_core::rules::url's
 * attribute_problem, checked here as the attribute is set rather than in the .wasm (smaller).
 * Not an event handler, `style`, `srcdoc`, or a URL attribute with an unsafe URL. */
export function attributeOk(name, value) {
  const lower = name.toLowerCase();
  return (
    /^[a-z_][\w.:-]*$/i.test(name) &&
    !/^on|^(style|srcdoc)$/.test(lower) &&
    (/^(image)?srcset$/.test(lower) ? safeSrcset(value) : !URL_ATTRIBUTES.split(' ').includes(lower) || safeUrl(value))
  );
}

/** Whether set_style may set `property` to `value`: orbit_core::rules::url's style_problem.
 * No property that runs code; in the value, no control character, escape, `<`, `>`, `{`,
 * `}`, `;`, comment or CODE_IN_CSS_VALUES, and each url( closed around a safe URL. */
export function styleOk(property, value) {
  const lower = value.toLowerCase();
  return (
    /^(--[\w-]+|-?[a-z][a-z-]*)$/i.test(property) &&
    !/^(behavior|-moz-binding)$/i.test(property) &&
    !/[\0-\x1f\x7f\\<>{};]|\/\*/.test(value) &&
    !CODE_IN_CSS_VALUES.split(' ').some((code) => lower.includes(code)) &&
    // Quotes and spaces around the URL go; controls were refused above.
    [...value.matchAll(/url\(([^)]*)(\)?)/gi)].every(([, url, close]) => close && safeUrl(url.replace(/^[ "']+|[ "']+$/g, '')))
  );
}

/** Whether an element may keep an attribute: listed for it, or aria-* or data-* (not
 * data-orbit-*, which the tracker reads), with a safe URL where it holds one. */
function keeps(attributes, { name, value }) {
  const url = name == 'srcset' ? safeSrcset(value) : !/^(href|src|cite)$/.test(name) || safeUrl(value);
  return url && (attributes.has(name) || /^(aria-|data-(?!orbit-))[\w.-]*$/.test(name));
}

/** Removes from under `parent` what the allowlist does not keep; `depth` counts the kept
 * elements above it (deeper ones than MAX_HTML_DEPTH lose their tags, not their text). */
function clean(parent, depth) {
  for (const node of [...parent.childNodes]) {
    if (node.nodeType == 3) continue; // text stays text
    // Element names are lowercase in an HTML tree; svg and math, the only roots of other
    // namespaces, are dropped.
    const element = node.nodeType == 1;
    const attributes = element && depth < MAX_HTML_DEPTH && allowed.get(node.localName);
    if (attributes) {
      // A new element holds only what is copied to it (not, say, a custom element's `is`).
      const copy = node.ownerDocument.createElement(node.localName);
      for (const attribute of node.attributes) {
        if (keeps(attributes, attribute)) copy.setAttribute(attribute.name, attribute.value);
      }
      if (node.localName == 'a' && copy.hasAttribute('target') && !copy.hasAttribute('rel')) {
        copy.setAttribute('rel', 'noopener noreferrer');
      }
      clean(node, depth + 1);
      copy.append(...node.childNodes);
      node.replaceWith(copy);
    } else if (element && !dropped.has(node.localName)) {
      clean(node, depth);
      node.replaceWith(...node.childNodes);
    } else {
      node.remove(); // comments, and elements dropped with their content
    }
  }
}

/** Puts `html`, sanitised, into the page: as the element's content when `position` is empty
 * (set_html), else at `position` (insertAdjacentElement's) in a `data-orbit-inserted`
 * wrapper, which it returns for the tracker to remove again (insert). Where the page's DOM
 * refuses (Trusted Types, an XHTML page), nothing changes. */
export function putHtml(element, html, position) {
  try {
    const template = document.createElement('template');
    template.innerHTML = html;
    const content = template.content;
    clean(content, 0);
    if (!position) return element.replaceChildren(content);
    const wrapper = document.createElement('div');
    wrapper.setAttribute('data-orbit-inserted', '');
    wrapper.style.display = 'contents';
    wrapper.append(content);
    return element.insertAdjacentElement(position, wrapper);
  } catch {
    // Nothing to undo: the page was not changed.
  }
}
