// Turns config.json into a typed TypeScript module.
const [input, output] = Deno.args;
const config = JSON.parse(await Deno.readTextFile(input));
const text = `// Generated from ${input}: do not edit.\n` +
  `export const config = ${JSON.stringify(config, null, 2)} as const;\n`;
await Deno.writeTextFile(output, text);
