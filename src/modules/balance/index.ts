export { balanceRoutes } from './balance.routes.js';
export { balanceHistory } from './balance.tables.js';
