/**
 * SessionManagementService: every REST route of the contract as a typed method. Each method resolves to the
 * envelope's `data` and throws a SessionApiError carrying the contract's status, code, message and details.
 */
import { SessionApiError } from "./errors";
import type {
  ActivityPage,
  ActivityQuery,
  AdminStats,
  AssignableRole,
  CleanupResult,
  DeclinedInvitation,
  DevTokenRequest,
  Invitation,
  InvitationListQuery,
  Invitee,
  InviteResult,
  MySessionsQuery,
  Participant,
  RecordingEvent,
  RecordingEventsQuery,
  RecordingManifest,
  RecordingSnapshot,
  RecordingStatus,
  ServiceHealth,
  SessionCreate,
  SessionHealth,
  SessionInvitationPage,
  SessionPage,
  SessionStats,
  SessionSummary,
  SessionUpdate,
  SessionView,
  Song,
  SongCreate,
  SongShare,
  SongShareResult,
  SongUpdate,
  Template,
  TemplateCreate,
  TemplateUpdate,
  Ticket,
  UserSettings,
  UserSettingsUpdate,
} from "./types";

export interface SessionManagementOptions {
  /** Origin of the API, e.g. "https://sessions.example.com" or "" for the page's own origin; routes live under /api/v1. */
  baseUrl: string;
  /** The bearer token, asked for before every request; null or "" sends none. */
  getToken: () => string | null | undefined | Promise<string | null | undefined>;
  /** Defaults to the global fetch; tests pass the Worker's own. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /**
   * A request whose answer has not begun after this long fails with TIMEOUT (default 30 s; 0: never). The server
   * may still have done what a change asked: read it back before asking again.
   */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

type Query = Record<string, string | number | boolean | null | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** The dev token and service health routes need no token. */
  anonymous?: boolean;
}

const id = (value: string | number) => encodeURIComponent(String(value));

export class SessionManagementService {
  readonly #baseUrl: string;
  readonly #getToken: SessionManagementOptions["getToken"];
  readonly #fetch: (input: string, init?: RequestInit) => Promise<Response>;
  readonly #timeoutMs: number;

  constructor(options: SessionManagementOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#getToken = options.getToken;
    // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    const fetchImpl = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  // ---------------------------------------------------------------- songs

  createSong(song: SongCreate): Promise<Song> {
    return this.#json("POST", "/songs", { body: song });
  }

  /** My songs and the songs shared with me. */
  listSongs(): Promise<{ songs: Song[] }> {
    return this.#json("GET", "/songs");
  }

  getSong(songId: number): Promise<Song> {
    return this.#json("GET", `/songs/${id(songId)}`);
  }

  updateSong(songId: number, changes: SongUpdate): Promise<Song> {
    return this.#json("PUT", `/songs/${id(songId)}`, { body: changes });
  }

  shareSong(songId: number, share: SongShare): Promise<SongShareResult> {
    return this.#json("POST", `/songs/${id(songId)}/share`, { body: share });
  }

  // ---------------------------------------------------------------- sessions

  /** Creates a session; the caller becomes its owner. A template's settings apply unless overridden here. */
  createSession(session: SessionCreate): Promise<SessionView> {
    return this.#json("POST", "/sessions", { body: session });
  }

  getSession(sessionId: string): Promise<SessionView> {
    return this.#json("GET", `/sessions/${id(sessionId)}`);
  }

  updateSession(sessionId: string, changes: SessionUpdate): Promise<SessionView> {
    return this.#json("PATCH", `/sessions/${id(sessionId)}`, { body: changes });
  }

  pauseSession(sessionId: string): Promise<SessionView> {
    return this.#json("POST", `/sessions/${id(sessionId)}/pause`);
  }

  resumeSession(sessionId: string): Promise<SessionView> {
    return this.#json("POST", `/sessions/${id(sessionId)}/resume`);
  }

  endSession(sessionId: string): Promise<SessionView> {
    return this.#json("POST", `/sessions/${id(sessionId)}/end`);
  }

  /** A new invitation code for a link-access session; the old one stops working at once. */
  rotateInvitationCode(sessionId: string): Promise<{ invitation_code: string }> {
    return this.#json("POST", `/sessions/${id(sessionId)}/invitation-code/rotate`);
  }

  /** Sessions I take part in, most recently active first. */
  getMySessions(query: MySessionsQuery = {}): Promise<SessionPage> {
    return this.#json("GET", "/sessions/my-sessions", { query });
  }

  /** Active public sessions anyone may join. */
  getPublicSessions(songId?: number): Promise<{ sessions: SessionSummary[] }> {
    return this.#json("GET", "/sessions/public", { query: { song_id: songId } });
  }

  // ---------------------------------------------------------------- membership

  /** Joins with a pending invitation, a link's invitation code, or (public sessions) nothing. Idempotent. */
  joinSession(sessionId: string, invitationCode?: string): Promise<SessionView> {
    return this.#json("POST", `/sessions/${id(sessionId)}/join`, {
      body: invitationCode ? { invitation_code: invitationCode } : {},
    });
  }

  leaveSession(sessionId: string): Promise<{ user_id: string; left: true }> {
    return this.#json("POST", `/sessions/${id(sessionId)}/leave`);
  }

  getParticipants(sessionId: string): Promise<{ participants: Participant[] }> {
    return this.#json("GET", `/sessions/${id(sessionId)}/participants`);
  }

  /** Invites 1..50 people by email or user id; one result per invitee. */
  inviteUsers(sessionId: string, users: Invitee[], message?: string): Promise<InviteResult> {
    return this.#json("POST", `/sessions/${id(sessionId)}/invite`, {
      body: message === undefined ? { users } : { users, message },
    });
  }

  /** My pending invitations, newest first; pass `next_cursor` back for the next page. */
  getMyInvitations(page: { limit?: number; cursor?: string } = {}): Promise<{
    invitations: Invitation[];
    next_cursor: string | null;
  }> {
    return this.#json("GET", "/sessions/my-invitations", { query: page });
  }

  /** Declines one of my pending invitations: it leaves my list and admits me no more. */
  declineInvitation(invitationId: string): Promise<DeclinedInvitation> {
    return this.#json("POST", `/sessions/my-invitations/${id(invitationId)}/decline`);
  }

  /**
   * The session's pending (default) or declined invitations, newest first; needs `invite`. `email` only for those
   * who manage participants and for whoever sent the invitation.
   */
  listInvitations(sessionId: string, query: InvitationListQuery = {}): Promise<SessionInvitationPage> {
    return this.#json("GET", `/sessions/${id(sessionId)}/invitations`, { query });
  }

  /** Whoever sent the invitation, or someone who manages participants. */
  revokeInvitation(sessionId: string, invitationId: string): Promise<{ id: string; revoked: true }> {
    return this.#json("DELETE", `/sessions/${id(sessionId)}/invitations/${id(invitationId)}`);
  }

  /** Takes effect at once: the participant's open connections get the new permissions. */
  changeRole(sessionId: string, userId: string, role: AssignableRole): Promise<Participant> {
    return this.#json("PATCH", `/sessions/${id(sessionId)}/participants/${id(userId)}`, { body: { role } });
  }

  /** Takes effect at once: the participant's open connections are closed. */
  removeParticipant(sessionId: string, userId: string): Promise<{ user_id: string; removed: true }> {
    return this.#json("DELETE", `/sessions/${id(sessionId)}/participants/${id(userId)}`);
  }

  /** Owner only; the old owner becomes an editor. */
  transferOwnership(sessionId: string, userId: string): Promise<SessionView> {
    return this.#json("POST", `/sessions/${id(sessionId)}/transfer`, { body: { user_id: userId } });
  }

  /** Newest first; private entries only for the owner. */
  getActivities(sessionId: string, query: ActivityQuery = {}): Promise<ActivityPage> {
    return this.#json("GET", `/sessions/${id(sessionId)}/activities`, { query });
  }

  // ---------------------------------------------------------------- me

  /** Who I am to the service (email and name from my latest token) and my settings. */
  getMe(): Promise<UserSettings> {
    return this.#json("GET", "/users/me");
  }

  /** `notifications_enabled: false`: no invitation emails, to my user id or to my address. */
  updateMe(changes: UserSettingsUpdate): Promise<UserSettings> {
    return this.#json("PATCH", "/users/me", { body: changes });
  }

  // ---------------------------------------------------------------- templates

  /** Public templates and mine, most used first. */
  getTemplates(category?: string): Promise<{ templates: Template[] }> {
    return this.#json("GET", "/sessions/templates", { query: { category } });
  }

  getTemplate(templateId: number): Promise<Template> {
    return this.#json("GET", `/sessions/templates/${id(templateId)}`);
  }

  createTemplate(template: TemplateCreate): Promise<Template> {
    return this.#json("POST", "/sessions/templates", { body: template });
  }

  updateTemplate(templateId: number, changes: TemplateUpdate): Promise<Template> {
    return this.#json("PATCH", `/sessions/templates/${id(templateId)}`, { body: changes });
  }

  deleteTemplate(templateId: number): Promise<{ id: number; deleted: true }> {
    return this.#json("DELETE", `/sessions/templates/${id(templateId)}`);
  }

  // ---------------------------------------------------------------- realtime

  /** A single-use ticket for the session's WebSocket (RealtimeSession gets its own). */
  getTicket(sessionId: string): Promise<Ticket> {
    return this.#json("POST", `/sessions/${id(sessionId)}/ticket`);
  }

  // ---------------------------------------------------------------- recording and playback

  startRecording(sessionId: string): Promise<RecordingStatus> {
    return this.#json("POST", `/sessions/${id(sessionId)}/recording/start`);
  }

  stopRecording(sessionId: string): Promise<RecordingStatus> {
    return this.#json("POST", `/sessions/${id(sessionId)}/recording/stop`);
  }

  getRecordingStatus(sessionId: string): Promise<RecordingStatus> {
    return this.#json("GET", `/sessions/${id(sessionId)}/recording/status`);
  }

  /** The session's recordings (manifests), newest first. */
  listRecordings(sessionId: string): Promise<{ recordings: RecordingManifest[] }> {
    return this.#json("GET", `/sessions/${id(sessionId)}/recordings`);
  }

  getRecording(sessionId: string, recordingId: string): Promise<RecordingManifest> {
    return this.#json("GET", `/sessions/${id(sessionId)}/recordings/${id(recordingId)}`);
  }

  /** The recording's events between `from_ms` and `to_ms`, parsed from the NDJSON stream. */
  async getRecordingEvents(
    sessionId: string,
    recordingId: string,
    query: RecordingEventsQuery = {},
  ): Promise<RecordingEvent[]> {
    const response = await this.#send("GET", `/sessions/${id(sessionId)}/recordings/${id(recordingId)}/events`, {
      query: { ...query },
    });
    return parseNdjson<RecordingEvent>(await response.text());
  }

  /** The song text as it stood `atMs` milliseconds into the recording. */
  getSnapshot(sessionId: string, recordingId: string, atMs: number): Promise<RecordingSnapshot> {
    return this.#json("GET", `/sessions/${id(sessionId)}/recordings/${id(recordingId)}/snapshot`, {
      query: { at_ms: Math.max(0, Math.round(atMs)) },
    });
  }

  // ---------------------------------------------------------------- health, statistics, lifecycle

  /** The session's health score (0..100) and what makes it up. */
  getHealth(sessionId: string): Promise<SessionHealth> {
    return this.#json("GET", `/sessions/${id(sessionId)}/health`);
  }

  getStats(sessionId: string): Promise<SessionStats> {
    return this.#json("GET", `/sessions/${id(sessionId)}/stats`);
  }

  /** Admin only. */
  getAdminStats(): Promise<AdminStats> {
    return this.#json("GET", "/sessions/stats");
  }

  /** Admin only: ends idle sessions and archives old ended ones (or only counts them with `dry_run`). */
  cleanup(options: { dry_run?: boolean } = {}): Promise<CleanupResult> {
    return this.#json("POST", "/sessions/cleanup", { body: options });
  }

  /** The service itself; needs no token. */
  getServiceHealth(): Promise<ServiceHealth> {
    return this.#json("GET", "/health", { anonymous: true });
  }

  /** A 24 h token for any user; exists only on servers running with DEV_AUTH (404 otherwise). */
  createDevToken(request: DevTokenRequest): Promise<{ token: string }> {
    return this.#json("POST", "/dev/token", { body: request, anonymous: true });
  }

  // ---------------------------------------------------------------- transport

  async #json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#send(method, path, options);
    const body = (await response.json().catch(() => null)) as { data?: T } | null;
    if (!body || typeof body !== "object" || !("data" in body)) {
      throw new SessionApiError(response.status, "INVALID_RESPONSE", "The server sent an answer we cannot read");
    }
    return body.data as T;
  }

  /** Sends the request and returns the response when it succeeded; otherwise throws its SessionApiError. */
  async #send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json, application/x-ndjson" };
    if (!options.anonymous) {
      const token = await this.#getToken();
      if (token) headers.Authorization = `Bearer ${token}`;
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] = "application/json";
    }
    // A request can stall without ever failing; the deadline ends at the answer's headers, so a long body streams.
    const request = new AbortController();
    const deadline = this.#timeoutMs > 0 ? setTimeout(() => request.abort(), this.#timeoutMs) : null;
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}/api/v1${path}${queryString(options.query)}`, {
        method,
        headers,
        body,
        signal: request.signal,
      });
    } catch (error) {
      if (request.signal.aborted) {
        throw new SessionApiError(0, "TIMEOUT", `The server did not answer within ${this.#timeoutMs / 1000} s`);
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new SessionApiError(0, "NETWORK_ERROR", `The request did not reach the server: ${reason}`);
    } finally {
      if (deadline !== null) clearTimeout(deadline);
    }
    if (response.ok) return response;
    throw await errorFrom(response);
  }
}

/** The service for an API at `baseUrl`, authenticated by `getToken`. */
export function createSessionManagementService(options: SessionManagementOptions): SessionManagementService {
  return new SessionManagementService(options);
}

function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function errorFrom(response: Response): Promise<SessionApiError> {
  const text = await response.text().catch(() => "");
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: a proxy's page, say
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const retryHeader = response.headers.get("Retry-After");
  const retryAfter = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined;
  if (error && typeof error.code === "string") {
    const message = typeof error.message === "string" ? error.message : `HTTP ${response.status}`;
    return new SessionApiError(response.status, error.code, message, error.details, retryAfter);
  }
  const code = response.status === 404 ? "NOT_FOUND" : `HTTP_${response.status}`;
  return new SessionApiError(
    response.status,
    code,
    `The server answered HTTP ${response.status}`,
    undefined,
    retryAfter,
  );
}

/** One JSON value per non-empty line. */
export function parseNdjson<T>(text: string): T[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}
