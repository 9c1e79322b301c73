// Orbit's ES-module entry, shipped as orbit.mjs (and orbit-core.mjs):
//   import { init } from 'https://COLLECTOR/sdk/orbit.mjs';
//   const orbit = await init({ site: 'SITE', key: 'KEY' });
// The tracker itself is the script-tag file beside it (scripts/build-sdk fills in its
// name), so a page downloads the glue once whichever way it loads Orbit. Imported as a
// module that file starts nothing; it leaves `init` under a registry symbol instead.
import './__LOADER__';

/** Starts the tracker and resolves to the `orbit(command, ...args)` function; never rejects. */
export function init(options = {}) {
  return globalThis[Symbol.for('orbit.init')]({ ...options, base: import.meta.url });
}
