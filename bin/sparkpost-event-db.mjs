#!/usr/bin/env node
// The package's bin: `npx sparkpost-event-db <command>` from the checkout after `npm ci` (npm links the
// package's own bin). Plain Node runs this file; tsx's loader (a devDependency: a tool, never part of a
// Lambda bundle) then runs the TypeScript CLI as `npm run cli` does.
import 'tsx';

await import('../src/cli/main.ts');
