import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatZodError, studySettingsSchema } from '../../../shared/api/schemas';
import { defaultSettings } from '../../../shared/defaults';

/** Returns the formatted error of settings with `repeats`, or '' when they are valid. */
function repeatsError(repeats: unknown): string {
  const parsed = studySettingsSchema.safeParse({ ...defaultSettings('classification'), repeats });
  return parsed.success ? '' : formatZodError(parsed.error);
}

describe('studySettingsSchema repeats', () => {
  it('accepts 1 to 20 and none', () => {
    assert.equal(repeatsError(1), '');
    assert.equal(repeatsError(20), '');
    assert.equal(studySettingsSchema.safeParse(defaultSettings('classification')).success, true);
  });

  it('rejects out of range', () => {
    assert.equal(repeatsError(0), 'repeats: repeats must be from 1 to 20 trainings per config');
    assert.equal(repeatsError(21), 'repeats: repeats must be from 1 to 20 trainings per config');
  });

  it('rejects a fraction', () => {
    assert.equal(
      repeatsError(2.5),
      'repeats: repeats must be a whole number of trainings per config',
    );
  });

  it('rejects a string', () => {
    assert.match(repeatsError('3'), /^repeats: /);
  });
});
