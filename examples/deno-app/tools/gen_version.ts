// Writes a module exporting the version that version.json holds.
const [from, to] = Deno.args;
const { version } = JSON.parse(await Deno.readTextFile(from));
await Deno.writeTextFile(to, `export const VERSION = ${JSON.stringify(version)};\n`);
