export interface OaiViolation {
  method: string;
  path: string;
  operationId: string | undefined;
  problems: string[];
}

export interface ApiRequestRecord {
  method: string;
  path: string;
  operationId: string | undefined;
  /** Undefined until the simulator has answered. */
  status: number | undefined;
}

/** The REST requests the simulator received, and the ways they (or its answers) broke the description. */
export class RequestLog {
  readonly requests: ApiRequestRecord[] = [];
  readonly violations: OaiViolation[] = [];

  clear() {
    this.requests.length = 0;
    this.violations.length = 0;
  }
}
