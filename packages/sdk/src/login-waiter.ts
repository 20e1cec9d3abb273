import { LoginError } from '@parley/protocol';

/** How a login in progress ends: the promise `Core.login` returned. */
export interface LoginSettle {
  resolve(): void;
  reject(e: { code: number; detail?: string }): void;
}

/** The promise of the login in progress, bounded by the login timeout. */
export class LoginWaiter {
  private waiting: (LoginSettle & { timer: ReturnType<typeof setTimeout> }) | null = null;

  get pending(): boolean {
    return this.waiting !== null;
  }

  /**
   * A new login's promise; `begin` runs once it is waiting. Unsettled after `ms`: `timedOut`
   * runs, then the promise rejects with LoginError.TIMEOUT.
   */
  start(ms: number, timedOut: () => void, begin: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        timedOut();
        reject({ code: LoginError.TIMEOUT });
      }, ms);
      this.waiting = { resolve, reject, timer };
      begin();
    });
  }

  /** Takes the waiting login (its timeout stopped) to settle it; null when none is waiting. */
  take(): LoginSettle | null {
    const w = this.waiting;
    if (!w) return null;
    this.waiting = null;
    clearTimeout(w.timer);
    return w;
  }
}
