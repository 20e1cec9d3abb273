/** Thrown by the parsers when a token string is not a well-formed token of the expected format. */
export class TokenFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFormatError';
  }
}
