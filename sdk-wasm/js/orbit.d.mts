// Type declarations for Orbit's ES-module entry, orbit.mjs.

/** Free-form event properties: anything `JSON.stringify` can write. */
export type Properties = Record<string, unknown>;

/** Options for {@link init}; the script tag's `data-*` attributes carry the same. */
export interface OrbitOptions {
  /** The site id on the collector (`data-site`). */
  site: string;
  /** The site's public write key (`data-key`). */
  key: string;
  /** The collector's origin (`data-endpoint`); defaults to the origin serving orbit.mjs. */
  endpoint?: string;
  /** Calls to replay first, e.g. `window.orbit.q` from the queue stub. */
  queue?: ArrayLike<ArrayLike<unknown>>;
  /** Replay `window.orbit.q` and install the function as `window.orbit`. */
  global?: boolean;
  /** Where to get the .wasm (a URL or a `fetch` promise); defaults to the file beside orbit.mjs. */
  wasm?: string | URL | Promise<Response>;
}

/** The tracker's command function. */
export interface Orbit {
  /** Records a page view; the page's URL, title and referrer are added. */
  (command: 'page', name?: string | Properties, properties?: Properties): void;
  /** Records a named action. */
  (command: 'track', event: string, properties?: Properties): void;
  /** Sends queued events now. */
  (command: 'flush'): void;
  /** Logs every batch to the console. */
  (command: 'debug', enabled: boolean): void;
}

/** Starts the tracker; never rejects (a tracker that cannot start ignores calls). */
export function init(options: OrbitOptions): Promise<Orbit>;
