import { UnrecoverableError } from 'bullmq';
import { chooseEnding, ENDINGS, EndingInput } from './attempt-ending';
import {
  HardTimeLimitError,
  JobCancelledError,
  NonRetryableError,
  WorkerShutdownError,
} from './job-errors';
import { NOW, SqlRaw } from './tracking-store';

const base: EndingInput = { attempt: 1, maxAttempts: 3, canHandBack: true, rowCancelled: false };
const end = (input: Partial<EndingInput>) => chooseEnding({ ...base, ...input });

describe('chooseEnding', () => {
  it('completes when run() returned, whatever the budget', () => {
    expect(end({})).toBe('completed');
    expect(end({ attempt: 3 })).toBe('completed');
  });

  it('retries a retryable error while attempts remain, and fails on the last one', () => {
    expect(end({ error: new Error('boom') })).toBe('retrying');
    expect(end({ error: new Error('boom'), attempt: 2 })).toBe('retrying');
    expect(end({ error: new Error('boom'), attempt: 3 })).toBe('failed');
    expect(end({ error: 'a thrown string', attempt: 1 })).toBe('retrying');
  });

  it('fails at once on errors retrying cannot fix', () => {
    expect(end({ error: new NonRetryableError('bad input') })).toBe('failed');
    expect(end({ error: new UnrecoverableError('gone') })).toBe('failed');
    const validation = Object.assign(new Error('x'), { name: 'ValidationError' });
    expect(end({ error: validation })).toBe('failed');
  });

  it('treats a hard time limit like any failure of the attempt', () => {
    expect(end({ error: new HardTimeLimitError(10) })).toBe('retrying');
    expect(end({ error: new HardTimeLimitError(10), attempt: 3 })).toBe('failed');
  });

  it('ends as cancelled only when the row really is cancelled', () => {
    const cancel = new JobCancelledError('alice', 'no longer needed');
    expect(end({ error: cancel, rowCancelled: true })).toBe('cancelled');
    expect(end({ error: cancel, rowCancelled: true, attempt: 3 })).toBe('cancelled');
    // A stale message (for an earlier attempt): this attempt fails like any other.
    expect(end({ error: cancel, rowCancelled: false })).toBe('retrying');
    expect(end({ error: cancel, rowCancelled: false, attempt: 3 })).toBe('failed');
  });

  it('hands back on shutdown when the queue can take the job back, even on the last attempt', () => {
    expect(end({ error: new WorkerShutdownError() })).toBe('handed_back');
    expect(end({ error: new WorkerShutdownError(), attempt: 3 })).toBe('handed_back');
    expect(end({ error: new WorkerShutdownError(), canHandBack: false })).toBe('retrying');
  });
});

describe('ENDINGS', () => {
  it('completes with the result and full progress, clearing the error and lock', () => {
    const fields = ENDINGS.completed.fields({ result: { rows: 3 } });
    expect(ENDINGS.completed.transition).toBe('complete');
    expect(fields).toMatchObject({ progress: 100, result: { rows: 3 }, errorMessage: null });
    expect(fields.completedAt).toBe(NOW);
  });

  it('records the error class, message and details on a failure; only `failed` ends the job', () => {
    const error = new NonRetryableError('x'.repeat(5000), { column: 'amount' });
    const failed = ENDINGS.failed.fields({ error });
    expect((failed.errorMessage as string).length).toBe(4000);
    expect(failed.errorDetails).toMatchObject({
      class: 'NonRetryableError',
      details: { column: 'amount' },
    });
    expect(failed.completedAt).toBe(NOW);
    expect(ENDINGS.retrying.fields({ error }).completedAt).toBeUndefined();
  });

  it('gives the budget back when handing back', () => {
    const fields = ENDINGS.handed_back.fields({});
    expect(fields.maxAttempts).toEqual(new SqlRaw('max_attempts + 1'));
  });
});
