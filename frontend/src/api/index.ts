export { api, ApiClient, buildUrl, normalizeBaseUrl } from "./client";
export type { ApiResponse, ClientOptions, RequestOptions } from "./client";
export { ApiError, errorFromResponse, toApiError } from "./errors";
export { connection } from "./connection";
export type { ConnectionState } from "./connection";
export { getApiKey, maskKey, setApiKey, subscribeApiKey } from "./auth";
export * from "./types";
