/**
 * Test-number rules of the sandbox: the recipient's last two digits choose what happens, so flows and
 * tests can reach every outcome without an account. Use the fictional range +1 202 555 0100-0199.
 *
 *   ...99  delivery fails (status delivery-failed, receipt carrier_rejected)
 *   ...98  sent, then never a final receipt (stays `sent`)
 *   ...97  already has an active conversation: Genesys refuses the send unless useExistingActiveConversation
 *          (queue mode: useExistingConversation); CCAI Platform answers "Consumer is already in an active SMS session"
 *   ...96  delivered, then read
 *   ...95  CCAI Platform and Avaamo refuse the number (CCAI "end_user_number is invalid", Avaamo 400)
 *   other  delivered (queued -> sent -> delivery-success)
 */
export type Fate = 'deliver' | 'fail' | 'no-receipt' | 'active-conversation' | 'read';

export function fateOf(toAddress: string): Fate {
  const tail = tailOf(toAddress);
  switch (tail) {
    case '99':
      return 'fail';
    case '98':
      return 'no-receipt';
    case '97':
      return 'active-conversation';
    case '96':
      return 'read';
    default:
      return 'deliver';
  }
}

/** The last two digits of a number. */
export function tailOf(address: string): string {
  return address.replace(/\D/g, '').slice(-2);
}

/** CCAI Platform and Avaamo refuse this recipient outright (rule ...95). */
export function refusedNumber(toAddress: string): boolean {
  return tailOf(toAddress) === '95';
}

export const RULES_TEXT = [
  { ending: '99', outcome: 'delivery fails (delivery-failed, carrier_rejected)' },
  { ending: '98', outcome: 'sent, never a final receipt' },
  { ending: '97', outcome: 'active conversation: Genesys refuses unless useExistingActiveConversation / useExistingConversation; CCAI: consumer already in an active SMS session' },
  { ending: '96', outcome: 'delivered, then read' },
  { ending: '95', outcome: 'CCAI Platform and Avaamo refuse the number' },
  { ending: 'any other', outcome: 'delivered' },
];
