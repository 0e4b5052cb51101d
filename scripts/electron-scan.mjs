#!/usr/bin/env node
// Scans the Electron shell (main/app) and the page it loads (renderer/index.html,
// whose meta tag is the window's Content Security Policy) with
// @doyensec/electronegativity, prints every finding, and exits 1 when a finding
// is neither fixed nor listed in ACCEPTED below with its reason, or when a file
// fails to parse.
//
// It runs offline: electronegativity 1.10 downloads translations and the list
// of Electron releases with `got`, so `got` is replaced by a function that
// fails at once, before any request is sent. The library then keeps its
// bundled English messages. The check for Electron releases with security
// fixes (AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK) needs that list, so it is left
// out: keeping Electron current is a dependency update, not a code finding.
//
// Usage: node scripts/electron-scan.mjs [--json]
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));

/**
 * Findings reviewed and kept, each with the reason. A finding matches on its
 * check id and file (relative to the repository). The line is left out, so
 * an edit elsewhere in the file does not void the review.
 */
const ACCEPTED = [
  {
    id: 'PRELOAD_JS_CHECK',
    file: 'main/app/security.ts',
    reason:
      'the preload exposes only scout.call (one IPC channel, every request checked by the API ' +
      'schemas in main), scout.onEvent and the scoutDialogs file and folder dialogs, never ' +
      'ipcRenderer itself',
  },
];

/**
 * Content Security Policy findings reviewed and kept. CSP_GLOBAL_CHECK reports
 * a policy as one finding, so the script evaluates the policy again with the
 * same evaluator (@doyensec/csp-evaluator) and accepts the finding only when
 * each of its parts is listed here.
 */
const ACCEPTED_CSP = [
  {
    directive: 'script-src',
    value: "'self'",
    reason:
      "'self' is a risk where the origin also serves JSONP, Angular templates or uploaded " +
      'files; Scout serves only its own built bundle (dist/renderer) from file:// or the ' +
      'web-mode server, which serves nothing else',
  },
];

/** Checks left out of the scan, with the reason. */
const EXCLUDED_CHECKS = [
  // Needs the Electron release list from the internet (see the header).
  'availablesecurityfixesglobalcheck',
];

/** Makes `got` fail for every module of electronegativity that loads it. */
function disableNetwork() {
  const offline = () =>
    Promise.reject(new Error('network disabled by scripts/electron-scan.mjs (offline scan)'));
  const packageDir = path.dirname(require.resolve('@doyensec/electronegativity/package.json'));
  const requirers = [
    path.join(packageDir, 'dist', 'locales', 'i18n.js'),
    path.join(packageDir, 'dist', 'finder', 'checks', 'GlobalChecks', 'index.js'),
  ];
  for (const requirer of requirers) {
    const gotPath = createRequire(requirer).resolve('got');
    const stub = new Module(gotPath);
    stub.exports = offline;
    stub.exports.default = offline;
    stub.loaded = true;
    require.cache[gotPath] = stub;
  }
}

/** Copies main/app and renderer/index.html into a temporary folder with the same layout. */
function stageInput() {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-electron-scan-'));
  fs.cpSync(path.join(ROOT, 'main', 'app'), path.join(stage, 'main', 'app'), { recursive: true });
  fs.mkdirSync(path.join(stage, 'renderer'));
  fs.copyFileSync(
    path.join(ROOT, 'renderer', 'index.html'),
    path.join(stage, 'renderer', 'index.html'),
  );
  return stage;
}

/** Returns the parts of a CSP finding that ACCEPTED_CSP does not list, as text. */
function unacceptedCspParts(policy) {
  const packageRequire = createRequire(require.resolve('@doyensec/electronegativity/package.json'));
  const csp = packageRequire('@doyensec/csp-evaluator');
  const findings = new csp.CspEvaluator(new csp.CspParser(policy).csp).evaluate();
  return findings
    .filter(
      (finding) =>
        !ACCEPTED_CSP.some(
          (item) => item.directive === finding.directive && item.value === finding.value,
        ),
    )
    .map((finding) => `${finding.directive}: ${finding.description}`);
}

function describe(issue) {
  const where = issue.location ? `${issue.file}:${issue.location.line}` : issue.file;
  const review = issue.manualReview ? ' (review)' : '';
  return `${issue.id} ${issue.severity.name}/${issue.confidence.name}${review} ${where}: ${issue.description}`;
}

async function main() {
  disableNetwork();
  // The library picks its message locale from LANG; only en-US, es-ES and fr-FR are bundled.
  process.env.LANG = 'en-US';
  const electronVersion = require('electron/package.json').version;
  const run = require('@doyensec/electronegativity');

  const stage = stageInput();
  let result;
  try {
    result = await run({
      input: stage,
      isRelative: true,
      electronVersionOverride: electronVersion,
      excludeFromScan: EXCLUDED_CHECKS,
    });
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }

  const accepted = [];
  const open = [];
  for (const issue of result.issues) {
    const file = issue.file.split(path.sep).join('/');
    if (issue.id === 'CSP_GLOBAL_CHECK' && typeof issue.sample === 'string') {
      const parts = unacceptedCspParts(issue.sample);
      const reason = ACCEPTED_CSP.map((item) => `${item.directive} ${item.value}: ${item.reason}`);
      if (parts.length === 0) {
        accepted.push({ issue: { ...issue, file }, reason: reason.join('; ') });
      } else {
        open.push({
          issue: { ...issue, file, description: `${issue.description}: ${parts.join('; ')}` },
        });
      }
      continue;
    }
    const entry = ACCEPTED.find((item) => item.id === issue.id && item.file === file);
    (entry ? accepted : open).push({ issue: { ...issue, file }, reason: entry?.reason });
  }
  const parseErrors = result.errors.filter((error) => !error.tolerable);

  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ electronVersion, ...result, accepted, open }, null, 2));
  }

  console.log(
    `electronegativity: Electron ${electronVersion}, ${result.atomicChecks} file checks and ` +
      `${result.globalChecks} global checks on main/app and renderer/index.html`,
  );
  for (const { issue, reason } of accepted) {
    console.log(`accepted: ${describe(issue)}\n  reason: ${reason}`);
  }
  for (const { issue } of open) {
    console.log(`FINDING: ${describe(issue)}\n  see ${issue.shortenedURL}`);
  }
  for (const error of result.errors) {
    console.log(`${error.tolerable ? 'warning' : 'ERROR'}: ${error.file}: ${error.message}`);
  }

  const unused = ACCEPTED.filter(
    (item) => !accepted.some(({ issue }) => issue.id === item.id && issue.file === item.file),
  );
  for (const item of unused) {
    console.log(`note: accepted finding ${item.id} in ${item.file} no longer occurs; remove it`);
  }

  console.log(
    `${open.length} open findings, ${accepted.length} accepted, ${parseErrors.length} parse errors`,
  );
  process.exitCode = open.length > 0 || parseErrors.length > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(`electron-scan failed: ${error.stack ?? error}`);
  process.exitCode = 2;
});
