// Starts the tracker: `init(options)`. scripts/build-sdk bundles this file, the wasm-bindgen
// glue and the loader (loader.js) into one classic script, orbit.js; pages that use ES
// modules import `init` through module.mjs, shipped as orbit.mjs. It fills in the glue's
// file and the content-hashed name of the .wasm.
import instantiate, { initTracker } from './__GLUE__';

function warn(message) {
  try {
    console.warn('[orbit] ' + message);
  } catch (_) {
    // A page without a console has nobody to tell.
  }
}

// The .wasm's one instantiation, which every `init` shares (a second would replace the
// memory the first tracker runs in); forgotten when it fails, so a later `init` tries again.
let started;

// Fetches (a URL) or takes (a fetch promise, a compiled module) the .wasm and instantiates
// it. A Response is compiled while its bytes arrive when the server gives it the
// application/wasm type, else from its bytes, with a warning.
async function load(source) {
  if (typeof source === 'string' || source instanceof URL || source instanceof Request) source = fetch(source);
  source = await source;
  if (source instanceof Response) {
    if (!source.ok) throw new Error(`failed to fetch Wasm: ${source.status} ${source.statusText} fetching '${source.url}'`);
    const typed = source.headers.get('Content-Type') === 'application/wasm';
    if (!typed) warn('serve the .wasm as application/wasm to compile it while it downloads');
    source = typed && WebAssembly.compileStreaming ? await WebAssembly.compileStreaming(source) : await source.arrayBuffer();
  }
  await instantiate(source);
}

// A boolean option as the tracker reads it: `true` or a data attribute's string.
function flag(value) {
  return value === true ? '' : typeof value === 'string' ? value : undefined;
}

/**
 * Starts the tracker and resolves to the `orbit(command, ...args)` function. It never
 * rejects: when the tracker cannot start, the function it gives ignores calls.
 */
export async function init(options = {}) {
  // Where the SDK files are: the URL of orbit.js or orbit.mjs, which sit beside the .wasm.
  const base = options.base;
  const endpoint = options.endpoint || new URL(base).origin;
  const settings = {
    site: options.site,
    key: options.key,
    endpoint,
    consent: options.consent,
    respectDnt: options.respectDnt === false ? 'false' : options.respectDnt,
    cookieDomain: options.cookieDomain,
    // `data-cookieless` without a value reads as "": present means on.
    cookieless: flag(options.cookieless),
    leadCapture: flag(options.leadCapture),
    hashEmail: flag(options.hashEmail),
    trackHash: flag(options.trackHash),
  };
  let tracker;
  let wasmReady = false;
  try {
    await (started ||= load(options.wasm || new URL('__WASM__', base)).catch((error) => {
      started = undefined;
      throw error;
    }));
    wasmReady = true;
    tracker = initTracker(settings);
  } catch (error) {
    const reason = (error && error.message) || String(error);
    if (wasmReady) {
      warn('not started: ' + reason);
    } else if (settings.site && settings.key) {
      // No WebAssembly: page views still count, through the small JavaScript fallback.
      warn(
        'WebAssembly could not start (' + reason + "); recording page views only. If the page " +
          "has a Content-Security-Policy, add 'wasm-unsafe-eval' to its script-src.",
      );
      try {
        tracker = (await import(new URL('orbit-lite.mjs', base).href)).start(settings, 'no-wasm')?.command;
      } catch (_) {
        // Nothing more to do without the fallback either.
      }
    }
  }
  const orbit = function (command, ...args) {
    if (!tracker) return;
    try {
      tracker(String(command), args);
    } catch (error) {
      warn(String(command) + ' failed: ' + ((error && error.message) || error));
    }
  };
  // Calls queued by the page's stub are replayed in order, and the global is swapped in
  // the same task, so no call can fall between the two. Swapped first: a call made while the
  // queue is replayed (by a ready callback) runs at once, as it would later, instead of
  // landing in the stub's queue after it was read.
  const queued = options.global ? (window.orbit && window.orbit.q) || [] : options.queue || [];
  if (options.global) window.orbit = orbit;
  for (const call of Array.from(queued)) orbit(...Array.from(call));
  return orbit;
}
