export { ordersRoutes } from './orders.routes.js';
export { OrderExpirySweeper, sweepIntervalMs } from './expiry-sweeper.js';
export { orders, orderItems, ORDER_STATUSES, type OrderStatus } from './orders.tables.js';
export { TRANSITIONS, UNPAID } from './order-state.js';
export { ITEM_JSON, ORDER_PAID_EVENT } from './order-sql.js';
