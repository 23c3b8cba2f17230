import { describe, expect, it } from "vitest";
import { errorOf } from "../src/api";

describe("an error answer", () => {
  it("is read as the server's code and words when it has them", () => {
    expect(errorOf(400, { error: { code: "bad_target", message: '"exa mple.com" has white space' } })).toEqual({
      code: "bad_target",
      message: '"exa mple.com" has white space',
    });
  });

  it("is the status in words when the body is not the API's", () => {
    expect(errorOf(502, null)).toEqual({ code: "http", message: "the server answered 502" });
    expect(errorOf(404, "<html>")).toEqual({ code: "http", message: "the server answered 404" });
    expect(errorOf(500, { error: {} })).toEqual({ code: "http", message: "the server answered 500" });
  });
});
