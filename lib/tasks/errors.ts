/** Why a task request failed; `status` is the HTTP status the server answers with. */
export class TaskError extends Error {
  override name = "TaskError";
  /** `message` as the client sees it; `status` 400 (bad request) or 404 (no such task). */
  constructor(message: string, readonly status: 400 | 404 | 500 = 400) {
    super(message);
  }
}
