/**
 * What each role may do in a session: the session view carries its permission map (`role_permissions`, from the
 * template it was created with, or the contract's defaults, CONTRACT §5), and a role the session gives less than
 * usual is worth a warning before someone is given it.
 */
import {
  type AssignableRole,
  DEFAULT_PERMISSION_MAP,
  type Permission,
  type PermissionMap,
  type SessionView,
} from "chordme-sessions/client";
import { useEffect, useState } from "react";
import { useApp } from "./app";
import { describePermissions, ROLE_LABELS } from "./words";

export interface SessionRights {
  map: PermissionMap;
  /** The template the session was created with, for the wording; null without one, or until it is read. */
  templateName: string | null;
}

/** The session's permission map, from its view; the template's name is read for the wording. */
export function useSessionRights(session: Pick<SessionView, "template_id" | "role_permissions"> | null): SessionRights {
  const { service } = useApp();
  const templateId = session?.template_id ?? null;
  const [templateName, setTemplateName] = useState<string | null>(null);
  useEffect(() => {
    setTemplateName(null);
    if (templateId === null) return;
    let cancelled = false;
    service.getTemplate(templateId).then(
      (template) => {
        if (!cancelled) setTemplateName(template.name);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [service, templateId]);
  return { map: session?.role_permissions ?? DEFAULT_PERMISSION_MAP, templateName };
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
