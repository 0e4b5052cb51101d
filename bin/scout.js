#!/usr/bin/env node
// Runs the compiled CLI; `npm install` compiles it (the prepare script).
require('../dist/main/cli/main.js').main(process.argv);
