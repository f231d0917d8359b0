export { AuthModule } from './auth.module';
export { AuthHttpModule } from './auth-http.module';
export { ACCESS_DESCRIPTIONS, type RouteAccess, routeAccess } from './route-access';
