import { App } from './app.ts';
import { startPage } from './pages/start-page.ts';
import { pageRoute } from './pages/routes.ts';

const params = new URLSearchParams(location.search);
const transport = params.get('transport');
const canvasRenderer = params.get('renderer') === 'canvas';
const page = pageRoute(location.pathname);
if (page) {
  void startPage(page, { canvasRenderer });
} else {
  new App({
    canvasRenderer,
    transport: transport === 'polling' || transport === 'websocket' ? transport : 'auto',
  }).start();
}
