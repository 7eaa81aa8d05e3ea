import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Real public test data kept in the repository, byte for byte as published (sources and
 * licences in test/fixtures/README.md and test/fixtures/LICENSES/).
 */
export const FIXTURES = resolve(__dirname, '..', 'fixtures');

/** Absolute path of a fixture, e.g. `fixturePath('csv-spectrum', 'csvs', 'simple.csv')`. */
export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** The bytes of a fixture. */
export function fixture(...parts: string[]): Buffer {
  return readFileSync(fixturePath(...parts));
}
