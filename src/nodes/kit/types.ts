/** Shapes of our config nodes as other nodes see them through RED.nodes.getNode. */
import type { Node, NodeDef } from 'node-red';
import type { AccountRuntime } from '../../providers/account';
import type { AccountConfig, AccountNodeCredentials } from '../../providers/account-config';
import type { SenderRuntime } from '../../send/sender';
import type { SenderConfig } from '../../send/sender-config';

export type { AccountCredentials } from '../../providers/types';
export type { AccountNodeCredentials } from '../../providers/account-config';

export interface AccountDef extends NodeDef, AccountConfig {}

export interface AccountNode extends Node<AccountNodeCredentials> {
  runtime: AccountRuntime;
}

export interface SenderDef extends NodeDef, SenderConfig {}

export interface SenderNode extends Node {
  runtime: SenderRuntime;
}
