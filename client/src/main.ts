import { App } from './app.ts';

const params = new URLSearchParams(location.search);
const transport = params.get('transport');
new App({
  canvasRenderer: params.get('renderer') === 'canvas',
  transport: transport === 'polling' || transport === 'websocket' ? transport : 'auto',
}).start();
