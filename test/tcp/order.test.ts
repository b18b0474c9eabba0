/**
 * What only the runtime `npm start` runs can show: the messages of one socket reach the session object in the order
 * they were sent. The workerd test pool passes each socket event through an asynchronous wrapper (it imports the
 * module first), so there back-to-back messages may be handled out of order; here they may not.
 */
import { describe, expect, inject, it } from "vitest";
import { service } from "./client";

const api = service(inject("baseUrl"));
// 30 messages: within a connection's burst (three seconds' worth at the default 40 a second), so none is refused.
const ROUNDS = 10;

describe("one socket's messages, in order", () => {
  it("passes on presence sent back to back in the order sent, the latest last", async () => {
    const owner = await api.user("owner");
    const member = await api.user("member");
    const session = await api.session(owner, { access_mode: "link-access" });
    const joined = await api.call("POST", `/sessions/${session.id}/join`, {
      user: member,
      body: { invitation_code: session.invitation_code },
    });
    expect(joined.status).toBe(200);
    const leader = await api.socket(owner, session.id);
    await leader.next("welcome");
    const follower = await api.socket(member, session.id);
    await follower.next("welcome");
    for (let round = 0; round < ROUNDS; round++) {
      const heads = [1, 2, 3].map((step) => round * 10 + step);
      for (const head of heads) leader.send({ type: "presence", cursor: { anchor: head, head } });
      const heard: number[] = [];
      while (heard.length < heads.length) {
        const message = await follower.next("presence");
        if (message.user_id === owner.id) heard.push(message.cursor.head);
      }
      expect(heard).toEqual(heads);
    }
    leader.close();
    follower.close();
  });
});
