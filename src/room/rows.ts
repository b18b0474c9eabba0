/** Row shapes of the session object's SQLite tables, parsed. */
import type {
  AccessMode,
  AssignableRole,
  MemberStatus,
  PermissionMap,
  Role,
  SessionStatus,
} from "../domain/permissions";
import type { RecordingManifest } from "../domain/recording";
import type { SessionSettings } from "../domain/settings";

export interface SessionRow {
  id: string;
  song_id: number;
  template_id: number | null;
  owner_id: string;
  name: string;
  description: string | null;
  access_mode: AccessMode;
  status: SessionStatus;
  max_participants: number;
  default_role: AssignableRole;
  permissions: PermissionMap;
  settings: SessionSettings;
  invitation_code: string | null;
  created_at: string;
  updated_at: string;
  started_at: string;
  ended_at: string | null;
  last_activity_at: string;
  version: number;
}

export interface ParticipantRow {
  user_id: string;
  display_name: string;
  email: string | null;
  role: Role;
  status: MemberStatus;
  color: string;
  joined_at: string;
  last_seen_at: string | null;
  contribution_count: number;
  total_time_seconds: number;
  invited_by: string | null;
}

export interface InvitationRow {
  id: string;
  user_id: string | null;
  email: string | null;
  role: AssignableRole;
  invited_by: string;
  message: string | null;
  status: "pending" | "accepted" | "revoked" | "declined";
  created_at: string;
  closed_at: string | null;
}

export interface ActivityRow {
  id: number;
  type: string;
  user_id: string | null;
  description: string;
  details: string | null;
  is_private: number;
  created_at: string;
}

export interface DocumentRow {
  rev: number;
  content: string;
  saved_rev: number;
  saved_at: string | null;
  /**
   * The song text the session's changes are relative to: where it started, or what the song held after its last
   * write-back (null for a session from before it was kept: see Sequencer.textAt).
   */
  base_content: string | null;
  /** The revision and text of a write-back on its way to D1, until the session learns its outcome. */
  writing_rev: number | null;
  writing_text: string | null;
}

/** A recording's row: its manifest (the session id is the object's own) and what the object needs to write it. */
export interface RecordingRow extends Omit<RecordingManifest, "session_id"> {
  started_at_ms: number;
  /** The status the manifest in R2 was last written with. */
  manifest_status: "recording" | "stopped" | null;
  /** The ops up to this revision are in R2; the ones after it (up to stop_rev) are read from the op log. */
  ops_flushed_rev: number;
  /** The last revision a stopped recording covers; null while it runs. */
  stop_rev: number | null;
}
