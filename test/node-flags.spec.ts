import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceNodeFlags } from './utils/child-app';

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/**
 * The service runs with the same V8 flags however it is started: `npm start` (scripts/run.sh),
 * `npm run start:prod` and the container image. The memory figures in docs/benchmarks.md
 * were measured with them.
 */
describe('service V8 flags', () => {
  const flags = serviceNodeFlags();

  it('caps the young generation', () => {
    expect(flags).toContain('--max-semi-space-size=8');
  });

  it('are the same in package.json start:prod and the Dockerfile CMD', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts;
    expect(scripts['start:prod']).toBe(`node ${flags.join(' ')} dist/src/main.js`);
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(cmd!)).toEqual(['node', ...flags, 'dist/src/main.js']);
  });

  it('are given to every service process scripts/run.sh starts', () => {
    const script = read('scripts/run.sh');
    const runs = script.match(/exec node [^;]*dist\/src\/[^ ;]*\.js/g) ?? [];
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs.filter((r) => !r.includes('mint-token'))) {
      expect(run).toContain('node $SERVICE_NODE_FLAGS ');
    }
  });
});
