/**
 * Test-number rules of the sandbox: the recipient's last two digits choose what happens, so flows and
 * tests can reach every outcome without an account. Use the fictional range +1 202 555 0100-0199.
 *
 *   ...99  delivery fails (status delivery-failed, receipt carrier_rejected)
 *   ...98  sent, then never a final receipt (stays `sent`)
 *   ...97  already has an active conversation: the send is refused unless useExistingActiveConversation
 *   ...96  delivered, then read
 *   other  delivered (queued -> sent -> delivery-success)
 */
export type Fate = 'deliver' | 'fail' | 'no-receipt' | 'active-conversation' | 'read';

export function fateOf(toAddress: string): Fate {
  const tail = toAddress.replace(/\D/g, '').slice(-2);
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

export const RULES_TEXT = [
  { ending: '99', outcome: 'delivery fails (delivery-failed, carrier_rejected)' },
  { ending: '98', outcome: 'sent, never a final receipt' },
  { ending: '97', outcome: 'active conversation: refused unless useExistingActiveConversation' },
  { ending: '96', outcome: 'delivered, then read' },
  { ending: 'any other', outcome: 'delivered' },
];
