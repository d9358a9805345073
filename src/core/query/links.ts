/**
 * The query string of a pagination link, written as SparkPost writes its own: every value
 * percent-encoded, a space as `%20` (never `+`), and `:`, `=`, `,`, `@` and `/` left as they are
 * (developers.sparkpost.com `content/api/events.apib`, "next": "…&per_page=1000&cursor=WycyMDE4…J10=";
 * 2web2ui `cypress/fixtures/events/message/200.get.json`, "…&from=2020-01-30T18:43:00&to=…").
 *
 * Why not URLSearchParams: it writes a space as `+`, and java-sparkpost follows `links.next` by decoding
 * it with `java.net.URI.getQuery()`, which decodes `%XX` but keeps `+`, then re-encoding every value
 * (`ResourceMessageEvents.nextMessageEvents`, httpclient `URIBuilder`): `Summer+deals` comes back as
 * `Summer%2Bdeals`, a literal plus, and page 2 matches nothing. `%20` decodes to a space there, and to a
 * space for every form decoder too.
 */
export function linkQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([name, value]) => `${encodeLinkPart(name)}=${encodeLinkPart(value)}`).join('&');
}

/** RFC 3986 allows these in a query; SparkPost's links show them unencoded. */
const KEPT = /%(3A|3D|2C|40|2F)/g;

function encodeLinkPart(text: string): string {
  return encodeURIComponent(text).replace(KEPT, (escaped) => decodeURIComponent(escaped));
}
