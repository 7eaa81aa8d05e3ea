import 'reflect-metadata';
import { ConfigValidationError } from './config/env';
import { runApp } from './bootstrap';

runApp().catch((err: unknown) => {
  if (err instanceof ConfigValidationError) {
    process.stderr.write(`jobtrack: ${err.message}\n`);
  } else {
    process.stderr.write(
      `jobtrack: start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
