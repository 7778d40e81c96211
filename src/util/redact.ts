/** Keeping secrets out of logs, flags pages and error messages. */

/** What a redacted secret is shown as (Prometheus' <secret>). */
export const SECRET = '<secret>';

/**
 * The text with any URL's password replaced by `xxxxx` (as Go's url.URL.Redacted()), e.g.
 * `http://u:pw@host` -> `http://u:xxxxx@host`, for messages that echo a URL given by the user.
 */
export function redactUrl(text: string): string {
  return text.replace(/(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\s:]*):[^/?#@\s]*@/g, '$1:xxxxx@');
}
