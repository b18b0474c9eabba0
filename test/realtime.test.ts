import { describe, expect, it } from "vitest";
import { api, createSession, newUser } from "./helpers";
import { connect } from "./socket-helpers";

describe("editing together", () => {
  it("welcomes, sequences, acks and broadcasts ops", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const session = await createSession(owner, { access_mode: "link-access", template_id: 3 });
    await api("POST", `/sessions/${session.id}/join`, {
      user: editor,
      body: { invitation_code: session.invitation_code },
    });
    const a = await connect(owner, session.id);
    const welcomeA = await a.next("welcome");
    expect(welcomeA.doc).toEqual({ rev: 0, content: "[C]Let it [G]be" });
    expect(welcomeA.you).toMatchObject({ user_id: owner.id, role: "owner", color: "#FF6B6B" });
    const b = await connect(editor, session.id);
    const welcomeB = await b.next("welcome");
    expect(welcomeB.you.role).toBe("editor");
    expect(welcomeB.presence.map((entry: { user_id: string }) => entry.user_id).sort()).toEqual(
      [owner.id, editor.id].sort(),
    );

    a.send({ type: "op", seq: 1, rev: 0, op: [3, "Oh "] });
    b.send({ type: "op", seq: 1, rev: 0, op: [15, "!"] });
    expect(await a.next("ack")).toEqual({ type: "ack", seq: 1, rev: 1 });
    const ackB = await b.next("ack");
    expect(ackB).toEqual({ type: "ack", seq: 1, rev: 2 });
    const remoteForB = await b.next("op");
    expect(remoteForB).toMatchObject({ rev: 1, user_id: owner.id });
    const remoteForA = await a.next("op");
    expect(remoteForA).toMatchObject({ rev: 2, user_id: editor.id, op: [18, "!"] });
    const view = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(view.body.data.online_count).toBe(2);
    a.close();
    b.close();
  });
});
