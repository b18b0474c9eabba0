/** What a song's text may be, one rule for REST and the live document (src/domain/text.ts), and the body limits. */
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, MAX_SONG_BODY_BYTES } from "../src/api/app";
import { MAX_DOCUMENT_CHARS as OT_MAX_DOCUMENT_CHARS, parseOp } from "../src/domain/ot";
import { codePointLength, isWellFormed, MAX_DOCUMENT_CHARS, songTextProblem, utf8Length } from "../src/domain/text";
import { api, createSong, errorCode, newUser } from "./helpers";

const LONE = "a\ud800b";

describe("the rule", () => {
  it("well-formed Unicode of at most 100,000 code points", () => {
    expect(MAX_DOCUMENT_CHARS).toBe(100_000);
    expect(OT_MAX_DOCUMENT_CHARS).toBe(MAX_DOCUMENT_CHARS);
    expect(songTextProblem("")).toBeNull();
    expect(songTextProblem("[C]Let it 😀 be")).toBeNull();
    expect(songTextProblem(LONE)).toBe("MALFORMED_TEXT");
    expect(songTextProblem("\udc00")).toBe("MALFORMED_TEXT");
    expect(songTextProblem("😀".repeat(MAX_DOCUMENT_CHARS))).toBeNull();
    expect(songTextProblem("x".repeat(MAX_DOCUMENT_CHARS + 1))).toBe("TEXT_TOO_LONG");
    expect(songTextProblem(`${"😀".repeat(MAX_DOCUMENT_CHARS)}x`)).toBe("TEXT_TOO_LONG");
  });

  it("the live document refuses the same lone surrogates", () => {
    expect(isWellFormed(LONE)).toBe(false);
    expect(parseOp([LONE]).ok).toBe(false);
    expect(parseOp(["a😀b"]).ok).toBe(true);
  });

  it("measures code points and UTF-8 bytes", () => {
    expect(codePointLength("a😀é")).toBe(3);
    expect(utf8Length("a😀é中")).toBe(1 + 4 + 2 + 3);
    expect(utf8Length("")).toBe(0);
  });
});

describe("song text over REST", () => {
  it("a lone surrogate in the text or the title is a 400, and nothing is stored", async () => {
    const owner = await newUser("surrogates");
    for (const body of [
      { title: "Broken", content: LONE },
      { title: LONE, content: "[C]fine" },
    ]) {
      const response = await api("POST", "/songs", { user: owner, body });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe("VALIDATION_ERROR");
    }
    expect((await api("GET", "/songs", { user: owner })).body.data.songs).toEqual([]);

    const song = await createSong(owner);
    for (const body of [{ content: LONE }, { title: LONE }]) {
      const response = await api("PUT", `/songs/${song.id}`, { user: owner, body });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe("VALIDATION_ERROR");
    }
    const read = await api("GET", `/songs/${song.id}`, { user: owner });
    expect(read.body.data).toMatchObject({ title: "Let It Be", content: "[C]Let it [G]be" });
  });

  it("a body that is not valid UTF-8 is a 400, never stored with replacement characters", async () => {
    const owner = await newUser("bytes");
    const encoder = new TextEncoder();
    const head = encoder.encode('{"title":"Bytes","content":"a');
    const tail = encoder.encode('b"}');
    const body = new Uint8Array([...head, 0xff, 0xfe, ...tail]);
    const response = await api("POST", "/songs", { user: owner, rawBody: body });
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe("VALIDATION_ERROR");
    expect((await api("GET", "/songs", { user: owner })).body.data.songs).toEqual([]);
  });

  it("counts code points, not UTF-16 units: 100,000 emoji are a song, one more character is not", async () => {
    const owner = await newUser("emoji");
    const full = "😀".repeat(MAX_DOCUMENT_CHARS);
    const created = await api("POST", "/songs", { user: owner, body: { title: "Emoji", content: full } });
    expect(created.status).toBe(201);
    expect(created.body.data.content).toBe(full);
    const tooLong = await api("PUT", `/songs/${created.body.data.id}`, { user: owner, body: { content: `${full}!` } });
    expect(tooLong.status).toBe(400);
    expect(errorCode(tooLong)).toBe("VALIDATION_ERROR");
    expect(tooLong.body.error.message).toContain("100,000 characters");
  });

  it("a song a session grew to 99,000 characters can be PUT back", async () => {
    const owner = await newUser("grown");
    const song = await createSong(owner);
    const grown = `${"[C]la la la la la la\n".repeat(4_500)}`.slice(0, 99_000);
    const response = await api("PUT", `/songs/${song.id}`, { user: owner, body: { content: grown } });
    expect(response.status).toBe(200);
    expect(response.body.data.content).toBe(grown);
  });

  it("the largest song fits its body limit even with every character escaped the longest way", async () => {
    const owner = await newUser("escaped");
    const escaped = "\\ud83d\\ude00".repeat(MAX_DOCUMENT_CHARS);
    const body = `{"title":"${"\\u00e9".repeat(255)}","content":"${escaped}"}`;
    expect(body.length).toBeGreaterThan(1_200_000);
    expect(body.length).toBeLessThanOrEqual(MAX_SONG_BODY_BYTES);
    const response = await api("POST", "/songs", { user: owner, rawBody: body });
    expect(response.status).toBe(201);
    expect(codePointLength(response.body.data.content)).toBe(MAX_DOCUMENT_CHARS);
    expect(response.body.data.title).toBe("é".repeat(255));
  });

  it("song bodies past their limit are a 413; every other route keeps 64 KiB", async () => {
    const owner = await newUser("limits");
    const song = await createSong(owner);
    const huge = `{"title":"Huge","content":"x"${" ".repeat(MAX_SONG_BODY_BYTES)}}`;
    for (const [method, path] of [
      ["POST", "/songs"],
      ["PUT", `/songs/${song.id}`],
    ] as const) {
      const response = await api(method, path, { user: owner, rawBody: huge });
      expect(response.status).toBe(413);
      expect(errorCode(response)).toBe("PAYLOAD_TOO_LARGE");
      expect(response.body.error.message).toBe("The body is over 1.2 MiB");
    }
    const padded = `{"email":"band@example.test","permission":"read"${" ".repeat(MAX_BODY_BYTES)}}`;
    const shared = await api("POST", `/songs/${song.id}/share`, { user: owner, rawBody: padded });
    expect(shared.status).toBe(413);
    expect(shared.body.error.message).toBe("The body is over 64 KiB");
    const session = await api("POST", "/sessions", { user: owner, rawBody: padded });
    expect(session.status).toBe(413);
  });
});
