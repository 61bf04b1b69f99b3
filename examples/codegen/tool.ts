// Greets every name listed in a file, as config.json says.
import { config } from "./_build/config.ts";

const names = (await Deno.readTextFile(Deno.args[0])).split("\n").filter(Boolean);
for (const name of names) {
  const line = `${config.greeting}, ${name}!`;
  console.log(config.shout ? line.toUpperCase() : line);
}
