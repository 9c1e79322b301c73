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
  /** `'required'`: nothing is stored or sent until `orbit('consent', 'granted')` (`data-consent`). */
  consent?: 'required';
  /** `false` ignores Do Not Track and Global Privacy Control (`data-respect-dnt="false"`). */
  respectDnt?: boolean | 'false';
  /** Parent domain for the visitor id cookie, e.g. `example.com` (`data-cookie-domain`). */
  cookieDomain?: string;
  /** Store nothing in the browser and send no ids; the collector derives a daily visitor id (`data-cookieless`). */
  cookieless?: boolean;
  /** A submitted form with an email field identifies the visitor (`data-lead-capture`). */
  leadCapture?: boolean;
  /** Lead capture sends the email's SHA-256 instead of the email (`data-hash-email`). */
  hashEmail?: boolean;
  /** A new URL fragment (`#/pricing`) is a page view, for hash-routed apps (`data-track-hash`). */
  trackHash?: boolean;
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
  /** Links the visitor to a user id, with traits. */
  (command: 'identify', userId: string | number, traits?: Properties): void;
  /** Merges the current id into a new user id. */
  (command: 'alias', newUserId: string): void;
  /** Logout: a new anonymous id, no user id, a new session. */
  (command: 'reset'): void;
  /** A custom attribute for personalisation rules; `null` removes it. */
  (command: 'set', key: string, value: unknown): void;
  /** The visitor's answer when the site requires consent. */
  (command: 'consent', answer: 'granted' | 'denied'): void;
  /** Calls back once the tracker runs. */
  (command: 'ready', callback: () => void): void;
  /** Sends queued events now. */
  (command: 'flush'): void;
  /** Records the submission of a form that submits through JavaScript (no submit event). */
  (command: 'formSubmitted', form: HTMLFormElement): void;
  /** Evaluates the personalisation rules again, reverting what no longer applies. */
  (command: 'reapply'): void;
  /** Logs every decision to the console. */
  (command: 'debug', enabled: boolean): void;
}

/** Starts the tracker; never rejects (a tracker that cannot start ignores calls). */
export function init(options: OrbitOptions): Promise<Orbit>;
