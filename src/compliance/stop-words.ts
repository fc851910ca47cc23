/**
 * Recognizing the opt-out and opt-in keywords people text back (CTIA / 10DLC conventions).
 *
 * Only a message that *is* the keyword counts: "STOP", " stop! ", "Stop." are opt-outs, but
 * "please don't stop sending" is not. Carriers apply the same whole-message rule; matching words
 * inside sentences would opt people out of texts they asked for.
 */
export const OPT_OUT_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'] as const;
export const OPT_IN_WORDS = ['START', 'UNSTOP'] as const;

export type OptKeyword = { action: 'opt-out' | 'opt-in'; keyword: string };

const OUT = new Set<string>(OPT_OUT_WORDS);
const IN = new Set<string>(OPT_IN_WORDS);

/** Longest text worth looking at: a keyword with some decoration, never a paragraph. */
const MAX_KEYWORD_TEXT = 40;

export function parseOptKeyword(text: unknown): OptKeyword | null {
  if (typeof text !== 'string' || text.length > MAX_KEYWORD_TEXT) return null;
  // Surrounding whitespace, invisible marks and trailing/leading punctuation ("STOP!", "'stop'", "STOP.")
  // are decoration; anything else (a second word, digits) makes it an ordinary message.
  const core = text
    .normalize('NFKC')
    .replace(/[\p{White_Space}\p{Cf}]+/gu, ' ')
    .trim()
    .replace(/^[\p{P}\p{S}\s]+|[\p{P}\p{S}\s]+$/gu, '')
    .toUpperCase();
  if (OUT.has(core)) return { action: 'opt-out', keyword: core };
  if (IN.has(core)) return { action: 'opt-in', keyword: core };
  return null;
}
