/**
 * How many SMS segments a text costs (3GPP TS 23.038 alphabets, TS 23.040 concatenation).
 *
 * Carriers bill per segment, so this is reported on every message. A text that fits the GSM 7-bit default
 * alphabet is sent as GSM-7 (160 septets, or 153 per segment once a 6-byte concatenation header is needed);
 * a single character outside it switches the whole message to UCS-2 (70 UTF-16 units, 67 per segment).
 * The count is deliberately strict: platforms may transliterate (e.g. smart quotes to straight ones) and
 * so send fewer segments, but never more.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentInfo {
  encoding: SmsEncoding;
  /** Number of SMS segments; 0 for empty text. */
  segments: number;
  /** Septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2. */
  units: number;
  /** Capacity of each segment in `units`: 160/70 for a single message, 153/67 once concatenated. */
  perSegment: number;
  /** Distinct characters (in order of first use) that forced UCS-2; empty for GSM-7. */
  nonGsmCharacters: string[];
}

export const GSM_SINGLE = 160;
export const GSM_CONCAT = 153;
export const UCS2_SINGLE = 70;
export const UCS2_CONCAT = 67;

/** GSM 03.38 default alphabet, all 128 positions except 0x1B (the escape to the extension table). */
const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅå' + 'Δ_ΦΓΛΩΠΨΣΘΞ' + /* 0x1B escape */ 'ÆæßÉ' + ' !"#¤%&\'()*+,-./' + '0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§' + '¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table characters: each is sent as ESC + code, so it costs two septets. */
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

/** Septets a character costs in GSM-7, or 0 when it is not in the alphabet. */
export function gsmSeptets(ch: string): 0 | 1 | 2 {
  if (BASIC.has(ch)) return 1;
  if (EXTENSION.has(ch)) return 2;
  return 0;
}

export function countSegments(text: string): SegmentInfo {
  const nonGsm: string[] = [];
  const seen = new Set<string>();
  const costs: number[] = []; // septets per character, while the text still looks like GSM-7
  for (const ch of text) {
    const cost = gsmSeptets(ch);
    if (cost === 0) {
      if (!seen.has(ch)) {
        seen.add(ch);
        nonGsm.push(ch);
      }
    } else if (nonGsm.length === 0) {
      costs.push(cost);
    }
  }

  if (nonGsm.length === 0) {
    return pack(costs, 'GSM-7', GSM_SINGLE, GSM_CONCAT, []);
  }
  // UCS-2 carries UTF-16: a character outside the BMP is a surrogate pair and costs two units, and the
  // pair must stay inside one segment or the phone shows two broken halves.
  const units: number[] = [];
  for (const ch of text) units.push(ch.length);
  return pack(units, 'UCS-2', UCS2_SINGLE, UCS2_CONCAT, nonGsm);
}

/**
 * Fills segments greedily with indivisible items (a character and its escape or surrogate partner), the
 * way phones and gateways split: an item that does not fit in what is left starts the next segment.
 */
function pack(items: number[], encoding: SmsEncoding, single: number, concat: number, nonGsm: string[]): SegmentInfo {
  let units = 0;
  for (const n of items) units += n;
  if (units === 0) return { encoding, segments: 0, units: 0, perSegment: single, nonGsmCharacters: nonGsm };
  if (units <= single) return { encoding, segments: 1, units, perSegment: single, nonGsmCharacters: nonGsm };

  let segments = 1;
  let used = 0;
  for (const n of items) {
    if (used + n > concat) {
      segments++;
      used = 0;
    }
    used += n;
  }
  return { encoding, segments, units, perSegment: concat, nonGsmCharacters: nonGsm };
}
