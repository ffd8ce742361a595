export { buildApp, type AppDeps } from "./app.js";
export { startApi } from "./server.js";
export { errorBody } from "./plugins/errors.js";
