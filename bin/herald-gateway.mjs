#!/usr/bin/env node
// herald-gateway: runs the TypeScript sources through tsx, so `npx herald-gateway ...`
// works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../gateway/src/cli.ts');
