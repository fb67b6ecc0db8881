#!/usr/bin/env -S node --max-semi-space-size=64
// The `qos` command: runs the built CLI (npm run build compiles it into dist/). The V8 options
// on the first line are src/nodeRuntime.ts's NODE_RUNTIME_FLAGS (a test keeps them equal).
import "../dist/main.js";
