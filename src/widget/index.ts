export { WidgetModule } from './widget.module';
export { WidgetHttpModule } from './widget-http.module';
export { WidgetService } from './widget.service';
export { widgetCorsHook } from './widget-cors';
