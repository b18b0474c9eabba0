import type { AccessMode, AssignableRole, Song, Template } from "chordme-sessions/client";
import { type FormEvent, useEffect, useId, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import {
  DEFAULT_SETTINGS,
  LIMIT_BOUNDS,
  parseBounded,
  parseDraft,
  type SettingsDraft,
  templateSettings,
  toDraft,
} from "../lib/settings";
import { FormActions } from "./common";
import { ModalFrame } from "./Dialog";
import { AccessModeChoice, NewcomerRoleSelect } from "./SessionFormFields";
import { SettingsFields } from "./SettingsFields";
import { TemplateOption } from "./TemplateCard";

export interface CreateSessionModalProps {
  isOpen: boolean;
  onClose: () => void;
  onSessionCreated: (sessionId: string) => void;
  /** Preselects this song. */
  songId?: number;
}

const DEFAULT_LIMIT = 10;

/** A new session: a song (picked or new), a template, who can join, how many, and the session's settings. */
export function CreateSessionModal({ isOpen, onClose, onSessionCreated, songId }: CreateSessionModalProps) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const titleId = useId();
  const [songs, setSongs] = useState<Song[]>([]);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [songChoice, setSongChoice] = useState<"existing" | "new">("new");
  const [selectedSong, setSelectedSong] = useState<number | "">("");
  const [songTitle, setSongTitle] = useState("");
  const [songContent, setSongContent] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [templateId, setTemplateId] = useState<number | null>(null);
  const [accessMode, setAccessMode] = useState<AccessMode>("invite-only");
  const [maxParticipants, setMaxParticipants] = useState(String(DEFAULT_LIMIT));
  const [settings, setSettings] = useState<SettingsDraft>(() => toDraft(DEFAULT_SETTINGS));
  const [defaultRole, setDefaultRole] = useState<AssignableRole>("viewer");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!isOpen) return;
    let cancelled = false;
    setError(null);
    Promise.all([service.listSongs(), service.getTemplates()]).then(
      ([songList, templateList]) => {
        if (cancelled) return;
        const editable = songList.songs.filter((song) => song.permission !== "read");
        setSongs(editable);
        setTemplates(templateList.templates);
        const preselected = editable.find((song) => song.id === songId) ?? (songId ? undefined : editable[0]);
        if (preselected) {
          setSongChoice("existing");
          setSelectedSong(preselected.id);
        } else {
          setSongChoice("new");
        }
      },
      (caught) => {
        if (!cancelled) setError(sentence(caught));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [isOpen, service, songId, sentence]);

  const template = templates.find((entry) => entry.id === templateId) ?? null;

  function chooseTemplate(next: Template | null) {
    setTemplateId(next?.id ?? null);
    setMaxParticipants(String(next?.max_participants ?? DEFAULT_LIMIT));
    setDefaultRole(next?.default_role ?? "viewer");
    setSettings(toDraft(next ? templateSettings(next) : DEFAULT_SETTINGS));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (songChoice === "existing" && selectedSong === "") {
      setError("Pick a song, or write a new one.");
      return;
    }
    if (songChoice === "new" && !songTitle.trim()) {
      setError("Give the new song a title.");
      return;
    }
    const limit = parseBounded(maxParticipants, "Participant limit", LIMIT_BOUNDS);
    const parsed = parseDraft(settings);
    if ("problem" in limit || "problem" in parsed) {
      setError("problem" in limit ? limit.problem : "problem" in parsed ? parsed.problem : null);
      return;
    }
    setBusy(true);
    try {
      const song =
        songChoice === "existing"
          ? Number(selectedSong)
          : (await service.createSong({ title: songTitle.trim(), content: songContent })).id;
      const songName = songChoice === "existing" ? songs.find((entry) => entry.id === song)?.title : songTitle.trim();
      const session = await service.createSession({
        song_id: song,
        name: name.trim() || `${songName ?? "Song"} session`,
        description: description.trim() || undefined,
        template_id: templateId ?? undefined,
        access_mode: accessMode,
        max_participants: limit.value,
        default_role: defaultRole,
        settings: parsed.values,
      });
      onSessionCreated(session.id);
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }

  if (!isOpen) return null;

  return (
    <ModalFrame labelledBy={titleId} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <header className="modal-header">
          <h2 id={titleId}>New session</h2>
          <button type="button" className="link" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>

        <fieldset>
          <legend>Song</legend>
          <div className="choice-row">
            <label className="inline">
              <input
                type="radio"
                name="song-choice"
                checked={songChoice === "existing"}
                disabled={songs.length === 0}
                onChange={() => setSongChoice("existing")}
              />
              One of my songs
            </label>
            <label className="inline">
              <input
                type="radio"
                name="song-choice"
                checked={songChoice === "new"}
                onChange={() => setSongChoice("new")}
              />
              A new song
            </label>
          </div>
          {songChoice === "existing" ? (
            <label>
              Song
              <select
                value={selectedSong}
                onChange={(e) => setSelectedSong(e.target.value === "" ? "" : Number(e.target.value))}
              >
                {songs.map((song) => (
                  <option key={song.id} value={song.id}>
                    {song.title}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <>
              <label>
                Title
                <input value={songTitle} onChange={(e) => setSongTitle(e.target.value)} placeholder="Let It Be" />
              </label>
              <label>
                Chord sheet (ChordPro)
                <textarea
                  value={songContent}
                  onChange={(e) => setSongContent(e.target.value)}
                  rows={4}
                  placeholder="[C]When I find myself in [G]times of trouble"
                  spellCheck={false}
                />
              </label>
            </>
          )}
        </fieldset>

        <label>
          Session name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Friday rehearsal" />
        </label>
        <label>
          Description (optional)
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>

        <fieldset>
          <legend>Template</legend>
          <div className="templates">
            <TemplateOption selected={templateId === null} onSelect={() => chooseTemplate(null)} template={null} />
            {templates.map((entry) => (
              <TemplateOption
                key={entry.id}
                template={entry}
                selected={templateId === entry.id}
                onSelect={() => chooseTemplate(entry)}
              />
            ))}
          </div>
        </fieldset>

        <AccessModeChoice name="access-mode" value={accessMode} onChange={setAccessMode} />

        <div className="two-columns">
          <label>
            Participant limit
            <input
              type="number"
              min={LIMIT_BOUNDS.min}
              max={LIMIT_BOUNDS.max}
              value={maxParticipants}
              onChange={(e) => setMaxParticipants(e.target.value)}
            />
          </label>
          <NewcomerRoleSelect value={defaultRole} onChange={setDefaultRole} />
        </div>
        <SettingsFields
          draft={settings}
          onChange={setSettings}
          recordingHint="A recording starts the moment the session is created."
        />
        {template ? <p className="muted small">Defaults from {template.name}; change them if you like.</p> : null}

        <FormActions error={error} busy={busy} submit="Create session" busyLabel="Creating…" onCancel={onClose} />
      </form>
    </ModalFrame>
  );
}
