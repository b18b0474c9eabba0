/** Comments on the text: stored within their quotas, logged and recorded, and the latest ones for a welcome. */
import type { Comment } from "../domain/protocol";
import type { ActivityLog } from "./activity-log";
import type { Recorder } from "./recorder";
import { refuse } from "./result";
import type { Sequencer } from "./sequencer";
import type { SessionState } from "./session-state";

/** The latest comments a welcome carries: at most this many, and at most this much text. */
const WELCOME_COMMENTS = 100;
const WELCOME_COMMENT_BYTES = 64 * 1024;
/** Comments a session keeps, and how many one person may add in a minute. */
const MAX_COMMENTS_PER_SESSION = 2_000;
const MAX_COMMENTS_PER_USER_PER_MINUTE = 10;

/** A comment as stored (the archive keeps these rows). */
export type CommentRow = {
  id: number;
  user_id: string;
  text: string;
  anchor: string | null;
  rev: number;
  created_at: string;
};

export class Comments {
  constructor(
    private readonly state: SessionState,
    private readonly sequencer: Sequencer,
    private readonly activity: ActivityLog,
    private readonly recorder: Recorder,
  ) {}

  private get sql(): SqlStorage {
    return this.state.sql;
  }

  /** Adds a comment at the current revision; refused when its anchor is outside the text or a quota is reached. */
  add(author: { user_id: string; display_name: string }, text: string, anchor: Comment["anchor"]): Comment {
    const document = this.sequencer.document();
    if (anchor && (anchor.from > anchor.to || anchor.to > document.length)) {
      refuse(400, "INVALID_ANCHOR", "The comment's anchor is outside the text");
    }
    const minuteAgo = new Date(this.state.clock() - 60_000).toISOString();
    const recent = this.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM comments WHERE user_id = ? AND created_at > ?",
        author.user_id,
        minuteAgo,
      )
      .one().n;
    if (recent >= MAX_COMMENTS_PER_USER_PER_MINUTE) {
      refuse(429, "TOO_MANY_COMMENTS", `At most ${MAX_COMMENTS_PER_USER_PER_MINUTE} comments a minute; wait a little`);
    }
    if (this.count() >= MAX_COMMENTS_PER_SESSION) {
      refuse(409, "COMMENT_LIMIT", `This session has ${MAX_COMMENTS_PER_SESSION} comments, as many as it keeps`);
    }
    return this.state.transaction(() => {
      const now = this.state.now();
      const id = this.sql
        .exec<{ id: number }>(
          "INSERT INTO comments (user_id, text, anchor, rev, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
          author.user_id,
          text,
          anchor ? JSON.stringify(anchor) : null,
          document.rev,
          now,
        )
        .one().id;
      this.activity.append("comment_added", author.user_id, `${author.display_name} commented`, {
        comment_id: id,
        text: text.slice(0, 200),
      });
      this.recorder.capture("comment", author.user_id, { id, text, anchor, rev: document.rev });
      this.state.touch();
      return { id, user_id: author.user_id, text, anchor, rev: document.rev, created_at: now };
    });
  }

  /** The latest comments, oldest first, within what a welcome carries. */
  recent(): Comment[] {
    const comments: Comment[] = [];
    let bytes = 0;
    for (const row of this.sql.exec<CommentRow>("SELECT * FROM comments ORDER BY id DESC LIMIT ?", WELCOME_COMMENTS)) {
      bytes += row.text.length * 3;
      if (bytes > WELCOME_COMMENT_BYTES) break;
      comments.push(parsed(row));
    }
    return comments.reverse();
  }

  rows(): CommentRow[] {
    return this.sql.exec<CommentRow>("SELECT * FROM comments ORDER BY id").toArray();
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM comments").one().n;
  }

  countSince(since: string): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM comments WHERE created_at >= ?", since).one().n;
  }

  authorsSince(since: string): string[] {
    return this.sql
      .exec<{ user_id: string }>("SELECT DISTINCT user_id FROM comments WHERE created_at >= ?", since)
      .toArray()
      .map((row) => row.user_id);
  }

  countsByUser(): Map<string, number> {
    return new Map(
      this.sql
        .exec<{ user_id: string; n: number }>("SELECT user_id, count(*) AS n FROM comments GROUP BY user_id")
        .toArray()
        .map((row) => [row.user_id, row.n]),
    );
  }
}

function parsed(row: CommentRow): Comment {
  return { ...row, anchor: row.anchor ? (JSON.parse(row.anchor) as Comment["anchor"]) : null };
}
