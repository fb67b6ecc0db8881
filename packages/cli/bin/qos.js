#!/usr/bin/env node
// The `qos` command: runs the built CLI (npm run build compiles it into dist/).
import "../dist/main.js";
