/**
 * Handing the lead (whose line the band follows in the performance view) over presence: only someone who runs the
 * session may hand it, only to a participant; it stays with later presence and in a newcomer's welcome, and lapses
 * once the person who has it leaves. Nothing is stored.
 */
import { describe, expect, it } from "vitest";
import { api, createSession, newUser } from "./helpers";
import { connect, type TestSocket } from "./socket-helpers";

/** The next presence message about `userId`, skipping others. */
async function presenceOf(socket: TestSocket, userId: string) {
  for (;;) {
    const message = await socket.next("presence");
    if (message.user_id === userId) return message;
  }
}

async function band() {
  const owner = await newUser("owner");
  const singer = await newUser("singer");
  const viewer = await newUser("viewer");
  const session = await createSession(owner, {});
  await api("POST", `/sessions/${session.id}/invite`, {
    user: owner,
    body: {
      users: [
        { user_id: singer.id, role: "editor" },
        { user_id: viewer.id, role: "viewer" },
      ],
    },
  });
  for (const user of [singer, viewer]) await api("POST", `/sessions/${session.id}/join`, { user });
  return { session, owner, singer, viewer };
}

describe("handing the lead", () => {
  it("goes from the owner to a participant, stays with later presence and reaches newcomers", async () => {
    const { session, owner, singer, viewer } = await band();
    const leader = await connect(owner, session.id);
    await leader.next("welcome");
    const watcher = await connect(viewer, session.id);
    await watcher.next("welcome");

    leader.send({ type: "presence", cursor: { anchor: 0, head: 0 }, lead: singer.id });
    expect(await presenceOf(watcher, owner.id)).toMatchObject({ cursor: { anchor: 0, head: 0 }, lead: singer.id });
    leader.send({ type: "presence", cursor: { anchor: 2, head: 2 }, status: "typing" });
    expect(await presenceOf(watcher, owner.id)).toMatchObject({ cursor: { anchor: 2, head: 2 }, lead: singer.id });

    const singerSocket = await connect(singer, session.id);
    const welcome = await singerSocket.next("welcome");
    expect(welcome.presence.find((entry: { user_id: string }) => entry.user_id === owner.id)).toMatchObject({
      lead: singer.id,
    });
    leader.send({ type: "presence", cursor: { anchor: 2, head: 2 }, lead: null });
    expect((await presenceOf(watcher, owner.id)).lead).toBeUndefined();
    for (const socket of [leader, watcher, singerSocket]) socket.close();
  });

  it("is refused from someone who does not run the session, or for someone who is not in it, changing nothing", async () => {
    const { session, owner, singer, viewer } = await band();
    const leader = await connect(owner, session.id);
    await leader.next("welcome");
    const singerSocket = await connect(singer, session.id);
    await singerSocket.next("welcome");
    const watcher = await connect(viewer, session.id);
    await watcher.next("welcome");

    singerSocket.send({ type: "presence", cursor: { anchor: 1, head: 1 }, lead: viewer.id });
    expect(await singerSocket.next("error")).toMatchObject({ code: "FORBIDDEN" });
    singerSocket.send({ type: "presence", cursor: { anchor: 3, head: 3 } });
    // The refused message was never passed on: the next the watcher hears of the singer is the later one.
    const heard = await presenceOf(watcher, singer.id);
    expect(heard.cursor).toEqual({ anchor: 3, head: 3 });
    expect(heard.lead).toBeUndefined();

    leader.send({ type: "presence", cursor: null, lead: "nobody-in-this-session" });
    expect(await leader.next("error")).toMatchObject({ code: "INVALID_LEAD" });
    leader.send({ type: "presence", cursor: null, lead: "x".repeat(300) });
    expect(await leader.next("error")).toMatchObject({ code: "INVALID_MESSAGE" });
    for (const socket of [leader, watcher, singerSocket]) socket.close();
  });

  it("lapses once the person who has it leaves the session", async () => {
    const { session, owner, singer, viewer } = await band();
    const leader = await connect(owner, session.id);
    await leader.next("welcome");
    const watcher = await connect(viewer, session.id);
    await watcher.next("welcome");
    leader.send({ type: "presence", cursor: null, lead: singer.id });
    expect((await presenceOf(watcher, owner.id)).lead).toBe(singer.id);

    await api("POST", `/sessions/${session.id}/leave`, { user: singer });
    leader.send({ type: "presence", cursor: { anchor: 1, head: 1 } });
    expect((await presenceOf(watcher, owner.id)).lead).toBeUndefined();
    for (const socket of [leader, watcher]) socket.close();
  });
});
