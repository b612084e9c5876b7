#!/usr/bin/env node
// The kotwal CLI. TypeScript sources run through tsx's loader (see docs/adr/0002).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main(process.argv);
