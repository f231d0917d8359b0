import { Module } from '@nestjs/common';
import { BotsModule } from '../bots';
import { WidgetController } from './widget.controller';
import { WidgetModule } from './widget.module';
import { WidgetPageController } from './widget-page.controller';
import { WidgetPageService } from './widget-page.service';
import { WidgetRateGuard } from './widget-rate.guard';
import { WidgetSse } from './widget-sse';
import { WidgetStreamFanOut } from './widget-stream-fan-out';

/**
 * The widget's HTTP side: the public Chat API with its rate limits, the hosted chat page and
 * `widget.js`, and the visitors' streams with their Redis subscriber and periodic check. Only
 * processes whose PROCESS_ROLE serves HTTP import it (`AppModule.forRoot`), so a worker process
 * holds no subscriber connection and no stream timer.
 */
@Module({
  imports: [WidgetModule, BotsModule],
  controllers: [WidgetController, WidgetPageController],
  providers: [WidgetPageService, WidgetRateGuard, WidgetSse, WidgetStreamFanOut],
})
export class WidgetHttpModule {}
