import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';

const root = path.resolve(__dirname, '..', '..');

interface BuilderConfig {
  appId?: string;
  productName?: string;
  directories?: { output?: string };
  files?: string[];
  asarUnpack?: string[];
  npmRebuild?: boolean;
  icon?: string;
  fileAssociations?: { ext: string | string[]; name?: string }[];
  linux?: { target?: string[]; category?: string };
  win?: { target?: string[] };
  mac?: { target?: string[] };
}

const config = YAML.parse(
  fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'),
) as BuilderConfig;
const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
};

describe('electron-builder.yml', () => {
  it('passes the electron-builder schema', async () => {
    // The validator that `electron-builder` itself runs before building.
    const { validateConfiguration } =
      (await import('app-builder-lib/out/util/config/config.js')) as {
        validateConfiguration(config: unknown, logger: unknown): Promise<void>;
      };

    await validateConfiguration(structuredClone(config), { isEnabled: false, add() {} });
  });

  it('names the app', () => {
    assert.equal(config.appId, 'app.scout.desktop');
    assert.equal(config.productName, 'Scout');
    assert.equal(config.directories?.output, 'release');
  });

  it('unpacks the native modules', () => {
    for (const pattern of [
      'node_modules/better-sqlite3/**',
      'node_modules/@tensorflow/tfjs-node/**',
      'node_modules/@tensorflow/tfjs-node-gpu/**',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
    ]) {
      assert.ok(config.asarUnpack?.includes(pattern), `asarUnpack lacks ${pattern}`);
    }
    assert.equal(config.npmRebuild, true);
  });

  it('unpacks files that exist', () => {
    const sqlite = path.join(root, 'node_modules', 'better-sqlite3', 'package.json');
    const wasmDirectory = path.join(
      root,
      'node_modules',
      '@tensorflow',
      'tfjs-backend-wasm',
      'dist',
    );
    const wasmFiles = fs.readdirSync(wasmDirectory).filter((name) => name.endsWith('.wasm'));

    assert.ok(fs.existsSync(sqlite), 'better-sqlite3 is installed');
    assert.ok(wasmFiles.length > 0, `no .wasm files in ${wasmDirectory}`);
  });

  it('targets Linux, Windows and macOS', () => {
    assert.deepEqual(config.linux?.target, ['AppImage', 'deb']);
    assert.equal(config.linux?.category, 'Science');
    assert.deepEqual(config.win?.target, ['nsis']);
    assert.deepEqual(config.mac?.target, ['dmg']);
  });

  it('associates .scout files', () => {
    const scout = config.fileAssociations?.find((association) => association.ext === 'scout');

    assert.ok(scout, 'no file association for .scout');
    assert.equal(scout.name, 'Scout database');
    assert.ok(config.fileAssociations?.some((association) => association.ext === 'sqlite'));
  });

  it('has a 512x512 PNG icon', () => {
    const icon = fs.readFileSync(path.join(root, config.icon ?? 'build/icon.png'));

    assert.equal(icon.subarray(1, 4).toString('ascii'), 'PNG');
    // The IHDR chunk starts at byte 8; width and height follow its length and type.
    assert.equal(icon.readUInt32BE(16), 512);
    assert.equal(icon.readUInt32BE(20), 512);
  });

  it('includes the build output and package.json', () => {
    assert.ok(config.files?.includes('dist/**/*'));
    assert.ok(config.files?.includes('package.json'));
    assert.ok(packageJson.main.startsWith('dist/'), `main ${packageJson.main} is outside dist/`);
  });
});

describe('compiled app', () => {
  // Compiles into a temporary folder, so the test checks this checkout and not a stale dist/.
  const build = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-build-'));
  const outDir = path.join(build, 'dist');

  before(() => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(
      process.execPath,
      [tsc, '-p', path.join(root, 'tsconfig.json'), '--outDir', outDir],
      {
        stdio: 'pipe',
      },
    );
  });

  after(() => fs.rmSync(build, { recursive: true, force: true }));

  it('has the package.json main entry', () => {
    assert.ok(fs.existsSync(path.join(build, packageJson.main)), `missing ${packageJson.main}`);
  });

  it('has the preload and the worker', () => {
    for (const file of ['main/app/preload.js', 'main/runner/worker.js', 'main/cli/main.js']) {
      assert.ok(fs.existsSync(path.join(outDir, file)), `missing dist/${file}`);
    }
  });

  it('requires only electron in the preload', () => {
    const preload = fs.readFileSync(path.join(outDir, 'main', 'app', 'preload.js'), 'utf8');
    const required = [...preload.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map(
      (match) => match[1],
    );

    assert.deepEqual(required, ['electron']);
  });
});
