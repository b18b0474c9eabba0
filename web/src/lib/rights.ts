/**
 * What each role may do in a session: its permission map comes from the template it was created with (a session
 * without one uses the contract's defaults, CONTRACT §5), and a role a template gives less than usual is worth a
 * warning before someone is given it.
 */
import type { AssignableRole, Permission, PermissionMap, SessionView } from "chordme-sessions/client";
import { useEffect, useState } from "react";
import { useApp } from "./app";
import { describePermissions, ROLE_LABELS } from "./words";

/** CONTRACT §5: the rights of each role in a session created without a template. */
export const DEFAULT_PERMISSION_MAP: PermissionMap = {
  editor: ["read", "edit", "comment", "invite", "record"],
  commenter: ["read", "comment"],
  viewer: ["read"],
};

export interface SessionRights {
  map: PermissionMap;
  /** The template the map came from; null for a session without one. */
  templateName: string | null;
  /** False while the template is loading, or when it could not be read (the defaults stand in then). */
  known: boolean;
}

/** The session's permission map, read from its template. */
export function useSessionRights(session: Pick<SessionView, "template_id"> | null): SessionRights {
  const { service } = useApp();
  const templateId = session?.template_id ?? null;
  const [rights, setRights] = useState<SessionRights>({
    map: DEFAULT_PERMISSION_MAP,
    templateName: null,
    known: templateId === null,
  });
  useEffect(() => {
    if (templateId === null) {
      setRights({ map: DEFAULT_PERMISSION_MAP, templateName: null, known: true });
      return;
    }
    let cancelled = false;
    service.getTemplate(templateId).then(
      (template) => {
        if (!cancelled) setRights({ map: template.permissions, templateName: template.name, known: true });
      },
      () => {
        if (!cancelled) setRights({ map: DEFAULT_PERMISSION_MAP, templateName: null, known: false });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [service, templateId]);
  return rights;
}

/**
 * Why giving someone `role` may not do what its name promises, in this session: the rights the role usually has
 * that the session's map leaves out, as a sentence; null when the role has at least its usual rights.
 */
export function roleShortfall(role: AssignableRole, rights: SessionRights): string | null {
  const granted = rights.map[role];
  const missing = DEFAULT_PERMISSION_MAP[role].filter((permission) => !granted.includes(permission));
  if (missing.length === 0) return null;
  const where = rights.templateName ? `this session's template (${rights.templateName})` : "this session";
  const plural = `${ROLE_LABELS[role].toLowerCase()}s`;
  if (!granted.includes("read")) {
    return `In ${where}, ${plural} get no rights at all: they cannot even open the session.`;
  }
  if (granted.every((permission: Permission) => permission === "read")) {
    return `In ${where}, ${plural} get no rights beyond following along: they cannot ${describePermissions(missing, "or")}.`;
  }
  return `In ${where}, ${plural} may ${describePermissions(granted)}, but not ${describePermissions(missing, "or")}.`;
}
