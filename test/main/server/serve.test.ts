import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT, collectOutput, makeTempDir, spawnCli, waitFor } from '../core/helpers';

const temp = makeTempDir('scout-serve-');
const database = path.join(temp.dir, 'scout.sqlite');
const rendererBuilt = fs.existsSync(path.join(REPO_ROOT, 'dist', 'renderer', 'index.html'));

after(() => temp.remove());

describe('scout serve', () => {
  it(
    'prints the URL and stops on SIGINT',
    { skip: !rendererBuilt && 'renderer not built' },
    async () => {
      const child = spawnCli(['--db', database, 'serve', '--port', '0']);
      const output = collectOutput(child);
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));

      try {
        await waitFor(() => /Scout is running at \S+/.test(stdout), 'the URL', 30_000);
      } catch (error) {
        child.kill('SIGKILL');
        throw error;
      }
      const url = /Scout is running at (\S+)/.exec(stdout)![1]!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);

      const page = await fetch(url);
      const token = new URL(url).searchParams.get('token')!;
      const info = await fetch(new URL(`/api/call/system.info?token=${token}`, url), {
        method: 'POST',
        body: '{}',
      });
      child.kill('SIGINT');
      const result = await output;

      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Scout<\/title>/);
      assert.equal(info.status, 200);
      assert.equal(
        ((await info.json()) as { value: { databasePath: string } }).value.databasePath,
        database,
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /stopping/);
    },
  );

  it(
    'explains a missing renderer build',
    { skip: rendererBuilt && 'renderer is built' },
    async () => {
      const child = spawnCli(['--db', database, 'serve']);
      const result = await collectOutput(child);

      assert.equal(result.code, 1);
      assert.match(result.stderr, /npm run build:renderer/);
    },
  );
});
