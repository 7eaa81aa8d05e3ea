import 'reflect-metadata';
import { ConfigValidationError } from './config/env';
import { runApp } from './bootstrap';
import { DatabaseUnreachableError } from './database/database-bootstrap';

runApp().catch((err: unknown) => {
  // Expected start-up failures: the message says it all, a stack would only bury it.
  if (err instanceof ConfigValidationError || err instanceof DatabaseUnreachableError) {
    process.stderr.write(`jobtrack: ${err.message}\n`);
  } else {
    process.stderr.write(
      `jobtrack: start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
