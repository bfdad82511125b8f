#!/usr/bin/env node
// Thin launcher: the agent is the bundle that `npm run build` writes to dist/bundle/.
import '../dist/bundle/wuwatch-agent.mjs';
