/**
 * The client tells the server its `received` count on every heartbeat `Ping`, and also once this
 * many messages arrived since it last did, so the server can drop what was processed from the
 * session's resume queue (docs/protocol.md, "Resume and the numbered stream").
 */
const ACK_EVERY = 64;

/**
 * The session's numbered stream as the client counts it: the server → client messages processed
 * so far (what a resume asks to skip) and the count last told to the server (on a Ping).
 */
export class StreamCount {
  received = 0;
  private reported = 0;

  /** A new login: `received` messages counted so far, none told yet. */
  restart(received: number): void {
    this.received = received;
    this.reported = 0;
  }

  /** ACK_EVERY messages arrived since the server was last told. */
  get reportDue(): boolean {
    return this.received - this.reported >= ACK_EVERY;
  }

  /** The count to tell the server now (it is then the one last told). */
  report(): number {
    this.reported = this.received;
    return this.received;
  }
}
