export { WidgetModule } from './widget.module';
export { WidgetService } from './widget.service';
export { widgetCorsHook } from './widget-cors';
