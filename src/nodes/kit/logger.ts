/** Adapt a Node-RED node's log functions to the Logger plain modules take. */
import type { Node } from 'node-red';
import type { Logger } from '../../util/logger';

export function nodeLogger(node: Node): Logger {
  return {
    debug: (m) => node.debug(m),
    info: (m) => node.log(m),
    warn: (m) => node.warn(m),
    error: (m) => node.error(m),
  };
}
