#!/usr/bin/env node
// The provision-desk command: runs src-main/cli.ts with Node 24 type stripping.
import { main } from '../src-main/cli.ts';

// Exit explicitly: a directory connection closing late must not hold a scheduled run open.
process.exit(await main(process.argv.slice(2)));
