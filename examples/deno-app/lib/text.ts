/**
 * Capitalises the first letter of each word.
 * @param text Words separated by spaces.
 * @returns The words, each capitalised.
 */
export function titleCase(text: string): string {
  return text.split(" ").map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(" ");
}

/**
 * Says something loudly.
 * @param text What to say.
 * @returns It in capitals, with an exclamation mark.
 */
export function shout(text: string): string {
  return `${text.toUpperCase()}!`;
}
