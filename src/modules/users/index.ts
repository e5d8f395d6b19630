export { usersRoutes } from './users.routes.js';
export { assertUserExists, toUserView, userExistenceChecker, type UserView } from './users.service.js';
export { UserNotFoundError } from './users.errors.js';
export { UserParams, UserBalance } from './users.schema.js';
export { users } from './users.tables.js';
