/**
 * Roles and permissions: the one place that decides who may do what in a session.
 * REST routes and WebSocket messages both ask `authorize`.
 */

export const ROLES = ["owner", "editor", "commenter", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const ASSIGNABLE_ROLES = ["editor", "commenter", "viewer"] as const;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

export const PERMISSIONS = [
  "read",
  "edit",
  "comment",
  "invite",
  "manage_participants",
  "manage_session",
  "record",
  "view_private",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export type PermissionMap = Record<AssignableRole, Permission[]>;

/** The map used by sessions created without a template. */
export const DEFAULT_PERMISSION_MAP: PermissionMap = {
  editor: ["read", "edit", "comment", "invite", "record"],
  commenter: ["read", "comment"],
  viewer: ["read"],
};

export const SESSION_STATUSES = ["active", "paused", "ended", "archived"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const ACCESS_MODES = ["invite-only", "link-access", "public"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export type MemberStatus = "active" | "left" | "removed";

/** What `authorize` needs to know about a session. */
export interface SessionAccess {
  status: SessionStatus;
  access_mode: AccessMode;
  permissions: PermissionMap;
}

/** What `authorize` needs to know about the person asking; null for someone who never joined. */
export interface MemberAccess {
  role: Role;
  status: MemberStatus;
}

export interface Denial {
  status: 403 | 409;
  code: string;
  message: string;
}

/** Permissions a role holds in a session; the owner holds every one, always. */
export function permissionsOf(role: Role | null, map: PermissionMap): Permission[] {
  if (role === null) return [];
  if (role === "owner") return [...PERMISSIONS];
  return PERMISSIONS.filter((permission) => map[role].includes(permission));
}

/** Permissions that change nothing, still allowed once a session has ended. */
const READ_ONLY_PERMISSIONS: ReadonlySet<Permission> = new Set(["read", "view_private"]);

/**
 * Decides whether `member` may use `permission` in `session`. Returns null when allowed,
 * otherwise the refusal to send (as an HTTP error or a WebSocket `error`).
 */
export function authorize(session: SessionAccess, member: MemberAccess | null, permission: Permission): Denial | null {
  const activeMember = member?.status === "active" ? member : null;
  if (!activeMember) {
    // A removed user is shut out even of a public session, until invited again.
    if (member?.status === "removed") {
      return { status: 403, code: "REMOVED", message: "You were removed from this session" };
    }
    // Anyone else may look at a public session; everything more needs membership.
    if (permission === "read" && session.access_mode === "public") return null;
    return { status: 403, code: "FORBIDDEN", message: "You are not a participant of this session" };
  }
  if (!permissionsOf(activeMember.role, session.permissions).includes(permission)) {
    return {
      status: 403,
      code: "FORBIDDEN",
      message: `Your role (${activeMember.role}) does not allow '${permission}' in this session`,
    };
  }
  if ((session.status === "ended" || session.status === "archived") && !READ_ONLY_PERMISSIONS.has(permission)) {
    return {
      status: 409,
      code: "SESSION_NOT_ACTIVE",
      message: `The session is ${session.status} and read-only`,
    };
  }
  if (session.status === "paused" && permission === "edit") {
    return { status: 403, code: "FORBIDDEN", message: "The session is paused: editing resumes when it does" };
  }
  return null;
}

/** Legal status changes; everything else is a 409. */
export const STATUS_TRANSITIONS: Record<"pause" | "resume" | "end", { from: SessionStatus[]; to: SessionStatus }> = {
  pause: { from: ["active"], to: "paused" },
  resume: { from: ["paused"], to: "active" },
  end: { from: ["active", "paused"], to: "ended" },
};
