/** The service's REST API, as the benchmark needs it: tokens, songs, sessions, membership, tickets. */
import { SONG, SONG_TITLE } from "./song.mjs";

export class Api {
  /**
   * `base` is http://127.0.0.1:port, or a function answering it (the port can change if workerd restarts);
   * `headers` go on every request (e.g. which Worker serves it).
   */
  constructor(base, headers = {}) {
    this.baseOf = typeof base === "function" ? base : () => base;
    this.headers = headers;
    this.tokens = new Map();
  }

  get base() {
    return this.baseOf();
  }

  async request(method, path, { token, body, expect = [200, 201] } = {}) {
    const response = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: {
        ...this.headers,
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    if (expect && !expect.includes(response.status)) {
      const error = new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
      error.status = response.status;
      throw error;
    }
    return { status: response.status, body: json };
  }

  async token(sub) {
    if (!this.tokens.has(sub)) {
      const { body } = await this.request("POST", "/dev/token", {
        body: { sub, email: `${sub}@bench.test`, name: sub.slice(0, 100) },
      });
      this.tokens.set(sub, body.data.token);
    }
    return this.tokens.get(sub);
  }

  /**
   * A song and a link-access session owned by `owner`, joined by `members` (user ids), with the roles given in
   * `roles` (user id → "editor" | "viewer" | "commenter"; invited with that role). Returns the session id.
   */
  async session({ owner, members = [], roles = {}, templateId = 3, maxParticipants, settings, name = "Bench" }) {
    const ownerToken = await this.token(owner);
    const song = await this.request("POST", "/songs", {
      token: ownerToken,
      body: { title: SONG_TITLE, content: SONG },
    });
    const created = await this.request("POST", "/sessions", {
      token: ownerToken,
      body: {
        song_id: song.body.data.id,
        name,
        template_id: templateId,
        access_mode: "link-access",
        ...(maxParticipants ? { max_participants: maxParticipants } : {}),
        ...(settings ? { settings } : {}),
      },
    });
    const session = created.body.data;
    const invited = members.filter((member) => roles[member]);
    for (let start = 0; start < invited.length; start += 50) {
      await this.request("POST", `/sessions/${session.id}/invite`, {
        token: ownerToken,
        body: { users: invited.slice(start, start + 50).map((user_id) => ({ user_id, role: roles[user_id] })) },
      });
    }
    await inBatches(members, 8, async (member) => {
      const token = await this.token(member);
      await this.request("POST", `/sessions/${session.id}/join`, {
        token,
        body: roles[member] ? {} : { invitation_code: session.invitation_code },
      });
    });
    return session.id;
  }

  async ticketUrl(sessionId, user) {
    const { body } = await this.request("POST", `/sessions/${sessionId}/ticket`, { token: await this.token(user) });
    return body.data.ws_url;
  }
}

/** Runs `task` over `items`, at most `concurrency` at a time. */
export async function inBatches(items, concurrency, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
