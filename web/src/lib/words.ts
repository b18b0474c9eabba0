/** Roles, permissions, statuses and access modes in a musician's words. */
import type {
  AccessMode,
  AssignableRole,
  Permission,
  PermissionMap,
  Role,
  SessionStatus,
} from "chordme-sessions/client";

export const ROLE_LABELS: Record<Role, string> = {
  owner: "Leader",
  editor: "Editor",
  commenter: "Commenter",
  viewer: "Viewer",
};

export const ASSIGNABLE: AssignableRole[] = ["editor", "commenter", "viewer"];

export const STATUS_LABELS: Record<SessionStatus, string> = {
  active: "Active",
  paused: "Paused",
  ended: "Ended",
  archived: "Archived",
};

export const ACCESS_LABELS: Record<AccessMode, { label: string; explanation: string }> = {
  "invite-only": { label: "Invite only", explanation: "Only people you invite can join." },
  "link-access": { label: "Anyone with the link", explanation: "Share a link; whoever has it can join." },
  public: { label: "Public", explanation: "Listed for everyone; anyone can join." },
};

const PERMISSION_WORDS: Record<Permission, string> = {
  read: "follow along",
  edit: "edit chords and lyrics",
  comment: "comment",
  invite: "invite others",
  manage_participants: "manage people",
  manage_session: "run the session",
  record: "record",
  view_private: "see private activity",
};

export const PERMISSION_LABELS = PERMISSION_WORDS;

/** "edit chords and lyrics, comment and invite others" ("…, comment or invite others" with `or`). */
export function describePermissions(permissions: readonly Permission[], joiner: "and" | "or" = "and"): string {
  const words = permissions.filter((permission) => permission !== "read").map((p) => PERMISSION_WORDS[p]);
  if (words.length === 0) return "only follow along";
  if (words.length === 1) return words[0]!;
  return `${words.slice(0, -1).join(", ")} ${joiner} ${words[words.length - 1]}`;
}

export function describePermissionMap(map: PermissionMap): { role: AssignableRole; text: string }[] {
  return ASSIGNABLE.map((role) => ({ role, text: describePermissions(map[role]) }));
}

/** What a role cannot do in the editor, or null when it can edit. */
export function readOnlyReason(permissions: readonly Permission[], status: SessionStatus | undefined): string | null {
  if (status === "ended" || status === "archived") return "This session has ended: the chord sheet is read-only.";
  if (status === "paused") return "The session is paused: editing resumes when the leader resumes it.";
  if (permissions.includes("edit")) return null;
  if (permissions.includes("comment")) return "Your role lets you follow along and comment, but not edit.";
  return "You are a viewer: you can follow along but not edit.";
}
