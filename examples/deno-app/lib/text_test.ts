import { shout, titleCase } from "./text.ts";

Deno.test("titleCase() capitalises each word", () => {
  if (titleCase("ada lovelace") !== "Ada Lovelace") throw new Error(titleCase("ada lovelace"));
});

Deno.test("shout() says it in capitals", () => {
  if (shout("hi") !== "HI!") throw new Error(shout("hi"));
});
