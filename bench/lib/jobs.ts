/** Jobs as send-sms submits them, for the measures that drive the stores and the dispatcher directly. */
import type { SendJob } from '../../src/dispatch/job';

/** Job `i`: a 70-character text and the JSON snapshot of a small flow message, as send-sms submits it. */
export function benchJob(i: number, enqueuedAt = Date.now()): SendJob {
  const text = `Your appointment is confirmed for tomorrow at 10:00. Ref ${100000 + i}`;
  const to = `+1202555${String(i % 10000).padStart(4, '0')}`;
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    nodeId: 'a1b2c3d4e5f60718',
    message: { to, from: '+12025550100', text, mode: 'agentless' },
    msg: { _msgid: `m${i.toString(16).padStart(15, '0')}`, payload: text, to, sms: { to, from: '+12025550100', segments: 1, encoding: 'GSM-7' } },
    enqueuedAt,
    attempts: 0,
  };
}
