export { usersRoutes } from './users.routes.js';
export { assertUserExists, toUserView, type UserView } from './users.service.js';
export { UserDirectory } from './user-directory.js';
export { UserNotFoundError } from './users.errors.js';
export { UserParams, UserBalance } from './users.schema.js';
export { users } from './users.tables.js';
