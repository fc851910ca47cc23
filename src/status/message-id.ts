/**
 * What counts as a message id worth asking the platform about. The id goes into a URL path, so it is
 * checked before any request: a wrong type or a path-like value gets `invalid_message_id` locally
 * instead of a confusing 404 (or a request to a different endpoint).
 */
import { SmsError } from '../util/errors';

/** Genesys ids are UUIDs; other platforms use opaque tokens. Letters, digits and `._:-` cover them. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const MAX_MESSAGE_ID_LENGTH = 200;

export function parseMessageId(value: unknown): string {
  // Some platforms hand out numeric ids; a safe non-negative integer is an unambiguous one.
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value !== 'string') {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new SmsError('invalid_message_id', `the message id must be a string, got ${what}`);
  }
  const id = value.trim();
  if (!id) throw new SmsError('invalid_message_id', 'the message id is empty');
  if (id.length > MAX_MESSAGE_ID_LENGTH) throw new SmsError('invalid_message_id', `the message id is longer than ${MAX_MESSAGE_ID_LENGTH} characters`);
  if (!ID_PATTERN.test(id)) throw new SmsError('invalid_message_id', 'the message id may hold only letters, digits and . _ : -');
  return id;
}
