import type { ChannelName, OutputOf, ParsedInputOf } from '../../../src-preload/contract.ts';

/** A handler table for some channels, typed by the contract. */
export type Handlers<C extends ChannelName> = {
  [K in C]: (input: ParsedInputOf<K>) => Promise<OutputOf<K>> | OutputOf<K>;
};
