/** Injection token of the test job type's definition (its limits vary per test). */
export const TEST_JOB_DEFINITION = Symbol('TEST_JOB_DEFINITION');
export const TEST_QUEUE = 'test-jobs';
