/**
 * How a session looks to one viewer: shared by the live object and by archived sessions served from R2,
 * so both answer the same shapes with the same privacy rules.
 */
import { authorize, permissionsOf } from "../domain/permissions";
import type { Activity, Participant, SessionView } from "../domain/schemas";
import { autoSaveEnabled } from "../domain/settings";
import type { ActivityRow, ParticipantRow, SessionRow } from "./rows";

export interface ViewInput {
  session: SessionRow;
  participants: ParticipantRow[];
  online: Set<string>;
  isRecording: boolean;
}

export function memberOf(participants: ParticipantRow[], userId: string): ParticipantRow | null {
  return participants.find((participant) => participant.user_id === userId) ?? null;
}

export function sessionView(input: ViewInput, viewerId: string, withParticipants = true): SessionView {
  const { session } = input;
  const member = memberOf(input.participants, viewerId);
  const role = member?.status === "active" ? member.role : null;
  const active = input.participants.filter((participant) => participant.status === "active");
  const view: SessionView = {
    id: session.id,
    song_id: session.song_id,
    template_id: session.template_id,
    owner_id: session.owner_id,
    name: session.name,
    description: session.description,
    access_mode: session.access_mode,
    status: session.status,
    max_participants: session.max_participants,
    participant_count: active.length,
    online_count: input.online.size,
    is_recording: input.isRecording,
    default_role: session.default_role,
    settings: session.settings,
    created_at: session.created_at,
    updated_at: session.updated_at,
    started_at: session.started_at,
    ended_at: session.ended_at,
    last_activity_at: session.last_activity_at,
    last_activity: session.last_activity_at,
    auto_save_enabled: autoSaveEnabled(session.settings),
    user_role: role,
    permissions: permissionsOf(role, session.permissions),
    role_permissions: session.permissions,
    participants: withParticipants ? participantViews(input, viewerId) : [],
  };
  if (
    session.access_mode === "link-access" &&
    session.invitation_code &&
    authorize(session, member, "invite") === null
  ) {
    view.invitation_code = session.invitation_code;
  }
  return view;
}

/** Active participants; emails only for viewers who manage participants. */
export function participantViews(input: ViewInput, viewerId: string): Participant[] {
  const withEmail = authorize(input.session, memberOf(input.participants, viewerId), "manage_participants") === null;
  return input.participants
    .filter((participant) => participant.status === "active")
    .map((participant) => participantView(participant, withEmail, input.online));
}

export function participantView(participant: ParticipantRow, withEmail: boolean, online: Set<string>): Participant {
  return {
    user_id: participant.user_id,
    display_name: participant.display_name,
    role: participant.role,
    status: participant.status,
    color: participant.color,
    online: online.has(participant.user_id),
    joined_at: participant.joined_at,
    last_seen_at: participant.last_seen_at,
    contribution_count: participant.contribution_count,
    total_time_seconds: participant.total_time_seconds,
    invited_by: participant.invited_by,
    ...(withEmail ? { email: participant.email } : {}),
  };
}

export function activityView(row: ActivityRow, withPrivacyFlag: boolean): Activity {
  return {
    id: row.id,
    type: row.type,
    user_id: row.user_id,
    description: row.description,
    details: row.details === null ? null : JSON.parse(row.details),
    created_at: row.created_at,
    ...(withPrivacyFlag ? { is_private: row.is_private === 1 } : {}),
  };
}
