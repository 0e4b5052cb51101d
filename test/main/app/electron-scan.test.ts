import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, makeTempDir } from '../core/helpers';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'electron-scan.mjs');

/**
 * Preloaded into the scan: reports every outgoing connection on stderr and
 * fails it, so the test detects any attempt the scanner makes to reach the network.
 */
const NETWORK_GUARD = `
const net = require('node:net');
net.Socket.prototype.connect = function (...args) {
  const options = args[0];
  const target = typeof options === 'object' ? \`\${options.host}:\${options.port}\` : String(options);
  process.stderr.write('NETWORK ATTEMPT ' + target + '\\n');
  throw new Error('network blocked by the test');
};
`;

describe('electron-scan script', () => {
  const temp = makeTempDir('scout-electron-scan-');
  let output = '';
  let errors = '';
  let status: number | null = null;

  before(() => {
    const guard = path.join(temp.dir, 'guard.cjs');
    fs.writeFileSync(guard, NETWORK_GUARD);
    const result = spawnSync(process.execPath, ['--require', guard, SCRIPT], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    output = result.stdout;
    errors = result.stderr;
    status = result.status;
  });

  after(() => temp.remove());

  it('runs without the network', () => {
    assert.doesNotMatch(errors, /NETWORK ATTEMPT/);
    assert.ok(status === 0 || status === 1, `exit ${status}: ${errors}`);
    assert.match(output, /\d+ open findings, \d+ accepted, 0 parse errors/);
  });

  it('scans the shell and the page', () => {
    assert.match(
      output,
      /36 file checks and \d+ global checks on main\/app and renderer\/index\.html/,
    );
  });

  it('finds no window setting to fix', () => {
    for (const check of [
      'CONTEXT_ISOLATION_JS_CHECK',
      'SANDBOX_JS_CHECK',
      'NODE_INTEGRATION_JS_CHECK',
      'WEB_SECURITY_JS_CHECK',
      'INSECURE_CONTENT_JS_CHECK',
      'AUXCLICK_JS_CHECK',
      'LIMIT_NAVIGATION_GLOBAL_CHECK',
      'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK',
      'EXPERIMENTAL_FEATURES_JS_CHECK',
    ]) {
      assert.doesNotMatch(output, new RegExp(`FINDING: ${check}`), check);
    }
  });

  it('exit status matches the open findings', () => {
    const open = Number(/(\d+) open findings/.exec(output)?.[1]);

    assert.equal(status, open > 0 ? 1 : 0);
  });
});
