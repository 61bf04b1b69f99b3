import { greeting } from "./greeting.ts";

Deno.test("greeting() names the person in title case", () => {
  if (greeting("grace hopper") !== "Hello, Grace Hopper") throw new Error("wrong greeting");
});
