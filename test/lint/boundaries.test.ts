import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../..');

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('process boundaries', () => {
  it('rejects node:fs in shared/', async () => {
    const messages = await restrictedImports('shared/probe.ts', "import fs from 'node:fs';\nfs;\n");
    assert.equal(messages.length, 1);
    assert.match(messages[0], /move this code under main/);
  });

  it('rejects TensorFlow.js, SQLite and Electron in shared/', async () => {
    const code = [
      "import * as tf from '@tensorflow/tfjs';",
      "import Database from 'better-sqlite3';",
      "import { app } from 'electron';",
      'export { tf, Database, app };',
    ].join('\n');
    const messages = await restrictedImports('shared/probe.ts', code);
    assert.equal(messages.length, 3);
  });

  it('rejects main/ imports in renderer/', async () => {
    const code = "import { Store } from '../../main/store';\nexport { Store };\n";
    const messages = await restrictedImports('renderer/src/probe.ts', code);
    assert.equal(messages.length, 1);
  });

  it('allows the same imports under main/', async () => {
    const code =
      "import fs from 'node:fs';\nimport * as tf from '@tensorflow/tfjs';\nexport { fs, tf };\n";
    const messages = await restrictedImports('main/runner/probe.ts', code);
    assert.deepEqual(messages, []);
  });
});
