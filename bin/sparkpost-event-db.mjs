#!/usr/bin/env node
// The package's bin: `npx sparkpost-event-db <command>` from the checkout (npm links the package's own
// bin), or `sparkpost-event-db` once installed. Plain Node runs this file; tsx's loader (a dependency)
// then runs the TypeScript CLI as `npm run cli` does.
import 'tsx';

await import('../src/cli/main.ts');
