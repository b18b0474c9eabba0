/** The web app's routes, from a URL alone (no window), so they can be tested anywhere. */

export type Route =
  | { name: "home" }
  | { name: "session"; sessionId: string; perform?: true }
  | { name: "stats"; sessionId: string }
  | { name: "join"; sessionId: string; code: string | null }
  | { name: "public"; songId: number | null }
  | { name: "templates" }
  | { name: "admin" };

export function parseRoute(url: string): Route {
  const { pathname, searchParams } = new URL(url, "http://app.invalid");
  const session = pathname.match(/^\/sessions\/([^/]+)\/?$/);
  if (session) return { name: "session", sessionId: decodeURIComponent(session[1]!) };
  // The same page, reading the sheet as a performance view.
  const perform = pathname.match(/^\/sessions\/([^/]+)\/perform\/?$/);
  if (perform) return { name: "session", sessionId: decodeURIComponent(perform[1]!), perform: true };
  const stats = pathname.match(/^\/sessions\/([^/]+)\/stats\/?$/);
  if (stats) return { name: "stats", sessionId: decodeURIComponent(stats[1]!) };
  // Our join links are /join/<id>?code=…; ChordMe's own are /session/<id>/join?code=…: both open the join page.
  const join = pathname.match(/^\/join\/([^/]+)\/?$/) ?? pathname.match(/^\/session\/([^/]+)\/join\/?$/);
  if (join) return { name: "join", sessionId: decodeURIComponent(join[1]!), code: searchParams.get("code") };
  if (/^\/public\/?$/.test(pathname)) {
    const song = Number(searchParams.get("song"));
    return { name: "public", songId: Number.isSafeInteger(song) && song > 0 ? song : null };
  }
  if (/^\/templates\/?$/.test(pathname)) return { name: "templates" };
  if (/^\/admin\/?$/.test(pathname)) return { name: "admin" };
  return { name: "home" };
}
