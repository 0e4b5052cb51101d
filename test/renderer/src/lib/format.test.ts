import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MISSING,
  formatDuration,
  formatNumber,
  formatValue,
  metricNumber,
} from '../../../../renderer/src/lib/format';

describe('metricNumber', () => {
  it('reads the non-finite strings of the API', () => {
    assert.ok(Number.isNaN(metricNumber('NaN')));
    assert.equal(metricNumber('Infinity'), Infinity);
    assert.equal(metricNumber('-Infinity'), -Infinity);
  });

  it('returns null for other non-numbers', () => {
    assert.equal(metricNumber(null), null);
    assert.equal(metricNumber('0.5'), null);
    assert.equal(metricNumber(undefined), null);
  });
});

describe('formatNumber', () => {
  it('shows non-finite values by name', () => {
    assert.equal(formatNumber('NaN'), 'NaN');
    assert.equal(formatNumber(NaN), 'NaN');
    assert.equal(formatNumber('-Infinity'), '-Infinity');
    assert.equal(formatNumber(Infinity), 'Infinity');
  });

  it('shows a missing value as a dash', () => {
    assert.equal(formatNumber(null), MISSING);
  });

  it('keeps four significant digits', () => {
    assert.equal(formatNumber(0.971234), '0.9712');
    assert.equal(formatNumber(12.34567), '12.35');
  });

  it('keeps integers whole', () => {
    assert.equal(formatNumber(60000), '60000');
    assert.equal(formatNumber(0), '0');
  });

  it('uses exponents for tiny and huge values', () => {
    assert.equal(formatNumber(0.0001), '1e-4');
    assert.equal(formatNumber(0.00012346), '1.235e-4');
    assert.equal(formatNumber(2.5e7 + 0.5), '2.5e7');
  });
});

describe('formatValue', () => {
  it('formats each value type', () => {
    assert.equal(formatValue(0.001), '0.001');
    assert.equal(formatValue('relu'), 'relu');
    assert.equal(formatValue(false), 'false');
    assert.equal(formatValue(undefined), MISSING);
  });
});

describe('formatDuration', () => {
  it('picks a unit by size', () => {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(12_340), '12.3 s');
    assert.equal(formatDuration(245_000), '4 min 05 s');
    assert.equal(formatDuration(7_380_000), '2 h 03 min');
  });

  it('shows a missing duration as a dash', () => {
    assert.equal(formatDuration(null), MISSING);
  });
});
