import { type AssignableRole, DEFAULT_PERMISSION_MAP, type PermissionMap } from "./permissions";
import { mergeSettings, type SessionSettings } from "./settings";

export const DEFAULT_MAX_PARTICIPANTS = 10;

/** The parts of a template that shape a new session. */
export interface TemplateDefaults {
  max_participants: number;
  auto_recording: boolean;
  auto_save_interval: number;
  default_role: AssignableRole;
  permissions: PermissionMap;
  settings: Record<string, unknown>;
}

/** What the create request says explicitly; each field given overrides the template. */
export interface SessionOverrides {
  max_participants?: number;
  default_role?: AssignableRole;
  settings?: Record<string, unknown>;
}

export interface SessionConfig {
  max_participants: number;
  default_role: AssignableRole;
  permissions: PermissionMap;
  settings: SessionSettings;
}

/** Applies a template (if any) and then the request's explicit fields. */
export function resolveSessionConfig(template: TemplateDefaults | null, request: SessionOverrides): SessionConfig {
  const templateSettings = template
    ? {
        ...template.settings,
        auto_recording: template.auto_recording,
        auto_save_interval: template.auto_save_interval,
      }
    : undefined;
  return {
    max_participants: request.max_participants ?? template?.max_participants ?? DEFAULT_MAX_PARTICIPANTS,
    default_role: request.default_role ?? template?.default_role ?? "viewer",
    permissions: template?.permissions ?? DEFAULT_PERMISSION_MAP,
    settings: mergeSettings(templateSettings, request.settings),
  };
}
