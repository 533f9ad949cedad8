/**
 * Reading errors of API calls without importing the services package, so
 * widgets stay testable without a JupyterLab.
 */

/**
 * The message to show for a failed call: the server's own `message` when it
 * sent one (`ServerConnection.ResponseError` carries it), else the error's text.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/** The HTTP status of a failed API call, when there was a response. */
export function errorStatus(error: unknown): number | undefined {
  const response = (error as { response?: { status?: number } } | null)
    ?.response;
  return typeof response?.status === 'number' ? response.status : undefined;
}
