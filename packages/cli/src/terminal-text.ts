/**
 * Untrusted text (messages, tool outputs and arguments, a model's or a user's words) printed to a
 * terminal stays text: control characters are shown as `\uXXXX` escapes, so a message cannot move
 * the cursor, rewrite a line (`\r`), clear the screen, set the window title (ESC, CSI) or reorder
 * what follows it (bidirectional overrides). Newlines and tabs are kept.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export const terminalText = (s: string): string => s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** A quoted string on one line (JSON escapes for quotes and newlines), safe for the terminal. */
export const quoted = (s: string): string => terminalText(JSON.stringify(s))
