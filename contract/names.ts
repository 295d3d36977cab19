// What a name (a person's, an account's, a method's) may contain. Names are shown in lists, mails,
// the audit log and its CSV: a line break there forges a line of its own, and a bidirectional
// control makes text read other than it is (a right-to-left override turns "Ana U+202E nimda"
// into "Ana admin" on screen). Refused: C0 controls (CR, LF, tab...), DEL and C1 controls, the
// line and paragraph separators, and the bidirectional marks, embeddings, overrides and isolates
// (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069).
const FORBIDDEN = '\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069';

/** The rule as a JSON Schema `pattern` (the API's schemas). */
export const NAME_PATTERN = `^[^${FORBIDDEN}]*$`;

const forbidden = new RegExp(`[${FORBIDDEN}]`);

/** True when `name` holds a control character or a bidirectional control. */
export function hasForbiddenCharacters(name: string): boolean {
  return forbidden.test(name);
}
