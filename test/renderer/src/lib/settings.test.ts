import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { studySettingsSchema } from '../../../../shared/api/schemas';
import type { StudySettings } from '../../../../shared/study';
import {
  buildSettings,
  defaultSettingsForm,
  settingsFormFrom,
} from '../../../../renderer/src/lib/settings';

describe('buildSettings', () => {
  it('turns the default form into settings the server accepts', () => {
    const { settings, issues } = buildSettings(defaultSettingsForm());
    assert.deepEqual(issues, {});
    assert.ok(settings);
    assert.equal(studySettingsSchema.safeParse(settings).success, true);
  });

  it('converts the time limit from minutes to seconds', () => {
    const { settings } = buildSettings({ ...defaultSettingsForm(), timeLimitMinutes: 1.5 });
    assert.equal(settings?.timeLimitSeconds, 90);
  });

  it('reports each invalid field', () => {
    const { settings, issues } = buildSettings({
      ...defaultSettingsForm(),
      trials: 0,
      workers: 65,
      validationFraction: 1,
      epochs: null,
      timeLimitMinutes: -1,
    });
    assert.equal(settings, undefined);
    assert.deepEqual(Object.keys(issues).sort(), [
      'epochs',
      'timeLimitMinutes',
      'trials',
      'validationFraction',
      'workers',
    ]);
  });

  it('checks grid points only for a grid search', () => {
    const random = buildSettings({ ...defaultSettingsForm(), gridPoints: 1 });
    assert.equal(random.settings?.gridPoints, 3);
    const grid = buildSettings({ ...defaultSettingsForm(), strategy: 'grid', gridPoints: 1 });
    assert.ok(grid.issues.gridPoints);
  });

  it('keeps base fields and drops an emptied limit', () => {
    const base: StudySettings = {
      ...(buildSettings(defaultSettingsForm()).settings as StudySettings),
      testLimit: 500,
      trainLimit: 1000,
    };
    const { settings } = buildSettings({ ...settingsFormFrom(base), trainLimit: null }, base);
    assert.equal(settings?.testLimit, 500);
    assert.equal('trainLimit' in (settings ?? {}), false);
  });

  it('sets repeats above one only', () => {
    const three = buildSettings({ ...defaultSettingsForm(), repeats: 3 });
    assert.equal(three.settings?.repeats, 3);
    assert.equal(studySettingsSchema.safeParse(three.settings).success, true);

    const base: StudySettings = { ...(three.settings as StudySettings) };
    const one = buildSettings({ ...settingsFormFrom(base), repeats: 1 }, base);
    assert.equal('repeats' in (one.settings ?? {}), false);
    assert.equal(settingsFormFrom(base).repeats, 3);
    assert.equal(defaultSettingsForm().repeats, 1);
  });

  it('rejects invalid repeats', () => {
    for (const repeats of [0, 21, 2.5, null]) {
      const { settings, issues } = buildSettings({ ...defaultSettingsForm(), repeats });
      assert.equal(settings, undefined, `repeats ${repeats}`);
      assert.match(
        issues.repeats ?? '',
        /^repeats .*whole number from 1 to 20/,
        `repeats ${repeats}`,
      );
    }
  });
});
