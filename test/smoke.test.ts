import { describe, expect, it } from "vitest";
import { api, createSession, newUser } from "./helpers";

describe("smoke", () => {
  it("health and a session", async () => {
    const health = await api("GET", "/health");
    expect(health.status).toBe(200);
    const owner = await newUser("owner");
    const session = await createSession(owner);
    expect(session.user_role).toBe("owner");
    const view = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(view.status).toBe(200);
    const mine = await api("GET", "/sessions/my-sessions", { user: owner });
    expect(mine.body.data.sessions).toHaveLength(1);
  });
});
