/** A flow message as the plain pipelines read and write it, and how they send one out of a node's outputs. */
export type FlowMsg = { sms?: unknown; error?: unknown; [k: string]: unknown };

/** One slot per output; null leaves an output silent. */
export type Emit = (out: (FlowMsg | null)[]) => void;
