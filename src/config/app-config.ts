import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppRole, EnvironmentVariables } from './env';

/** Typed, validated configuration; the only reader of the environment. */
@Injectable()
export class AppConfig {
  readonly env: Readonly<EnvironmentVariables>;

  constructor(config: ConfigService) {
    this.env = config.get<EnvironmentVariables>('validated') as EnvironmentVariables;
  }

  get role(): AppRole {
    return this.env.APP_ROLE;
  }

  get runsApi(): boolean {
    return this.env.APP_ROLE !== 'worker';
  }

  get runsWorkers(): boolean {
    return this.env.APP_ROLE !== 'api';
  }

  get maintenanceEnabled(): boolean {
    return this.env.MAINTENANCE_ENABLED === 'true';
  }
}
