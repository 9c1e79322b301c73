// Orbit's ES-module entry: `import { init } from 'https://COLLECTOR/sdk/orbit.mjs'`.
// scripts/build-sdk fills in the content-hashed names of the glue and the .wasm.
import initWasm, { initTracker } from './__GLUE__';

const WASM_URL = new URL('./__WASM__', import.meta.url);

function warn(message) {
  try {
    console.warn('[orbit] ' + message);
  } catch (_) {
    // A page without a console has nobody to tell.
  }
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
  const endpoint = options.endpoint || new URL(import.meta.url).origin;
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
    await initWasm({ module_or_path: options.wasm || WASM_URL });
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
        tracker = (await import('./orbit-lite.mjs')).start(settings, 'no-wasm');
      } catch (_) {
        // Nothing more to do without the fallback either.
      }
    }
  }
  const orbit = function (command, ...args) {
    if (!tracker) return;
    try {
      tracker.command(String(command), args);
    } catch (error) {
      warn(String(command) + ' failed: ' + ((error && error.message) || error));
    }
  };
  // Calls queued by the page's stub are replayed in order, and the global is swapped in
  // the same task, so no call can fall between the two.
  const queued = options.global ? (window.orbit && window.orbit.q) || [] : options.queue || [];
  for (const call of Array.from(queued)) orbit(...Array.from(call));
  if (options.global) window.orbit = orbit;
  return orbit;
}
