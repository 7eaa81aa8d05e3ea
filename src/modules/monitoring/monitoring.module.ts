import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { TokenService } from '../../common/auth/token.service';
import { AppConfig } from '../../config/app-config';
import { adminAuth } from './admin-auth.middleware';
import { MetricsController } from './metrics.controller';

/** Where Bull Board lives; feature modules add their queues with BullBoardModule.forFeature. */
export const QUEUE_CONSOLE_ROUTE = '/admin/queues';

/** Operator surfaces: Bull Board (admin only) and Prometheus /metrics. */
@Module({
  imports: [
    BullBoardModule.forRootAsync({
      inject: [TokenService, AppConfig],
      useFactory: (tokens: TokenService, config: AppConfig) => ({
        route: QUEUE_CONSOLE_ROUTE,
        adapter: ExpressAdapter,
        middleware: adminAuth(tokens, config),
        boardOptions: { uiConfig: { boardTitle: 'jobtrack' } },
      }),
    }),
  ],
  controllers: [MetricsController],
})
export class MonitoringModule {}
