#!/usr/bin/env node
// The `watchpost` command. Watchpost runs its TypeScript sources through tsx, so a checkout needs
// no build step: `npm install` and `npx watchpost …` work as they are.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
