import { LoginError, LogoutError, Op, PROTOCOL_VERSION, type LoginResponse } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { secretEqual } from '../../src/kernel/secret-equal.js';
import { APP_ID, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';

/** Changes the last character, so the token keeps its length. */
const flipLast = (s: string) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');

describe('resume tokens are compared in constant time (issue 13, item 4)', () => {
  let t: Awaited<ReturnType<typeof setup>> | undefined;
  const raws: RawClient[] = [];
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await t?.cleanup();
    t = undefined;
  });
  const raw = async () => {
    const r = await RawClient.connect(t!.server.wsUrl);
    raws.push(r);
    return r;
  };

  it('secretEqual: equal only for the same string, whatever the lengths', () => {
    expect(secretEqual('abc', 'abc')).toBe(true);
    expect(secretEqual('abd', 'abc')).toBe(false);
    expect(secretEqual('ab', 'abc')).toBe(false);
    expect(secretEqual('abcd', 'abc')).toBe(false);
    expect(secretEqual('', 'abc')).toBe(false);
    expect(secretEqual('', '')).toBe(true);
  });

  it('a wrong token of the same length or of another length is refused (2 REJECTED); the right one resumes', async () => {
    t = await setup({ sessionGraceMs: 60_000 });
    const owner = await raw();
    const login = await owner.login({ appId: APP_ID, uid: 'carol' });
    expect(login.code).toBe(0);
    const { sessionId, resumeToken } = login.body as LoginResponse;
    owner.close();
    await until(() => t!.server.sessions.local(APP_ID, 'carol')?.phase === 'detached', 5000, 'detached');

    const resume = async (token: string) =>
      (await raw()).request(Op.Resume, {
        v: PROTOCOL_VERSION,
        appId: APP_ID,
        uid: 'carol',
        sessionId,
        resumeToken: token,
        received: 1,
      });
    for (const wrong of [flipLast(resumeToken), resumeToken.slice(0, -1), `${resumeToken}x`, '']) {
      expect(wrong).not.toBe(resumeToken);
      const r = await resume(wrong);
      expect(r.code, `token of length ${wrong.length}`).toBe(LoginError.REJECTED);
      expect(r.body).toEqual({ message: 'session not resumable' });
    }
    expect(t!.server.sessions.local(APP_ID, 'carol')?.phase).toBe('detached');
    expect((await resume(resumeToken)).code).toBe(0);
    expect(t!.server.sessions.local(APP_ID, 'carol')?.phase).toBe('active');
  });

  it('a farewell with a wrong token of either length ends nothing (102 USER_NOT_LOGGED_IN)', async () => {
    t = await setup({ sessionGraceMs: 60_000 });
    const owner = await raw();
    const login = await owner.login({ appId: APP_ID, uid: 'dave' });
    const { sessionId, resumeToken } = login.body as LoginResponse;
    const other = await raw();
    for (const wrong of [flipLast(resumeToken), resumeToken.slice(0, 5), `${resumeToken}==`]) {
      const r = await other.request(Op.Logout, { appId: APP_ID, uid: 'dave', sessionId, resumeToken: wrong });
      expect(r.code).toBe(LogoutError.USER_NOT_LOGGED_IN);
    }
    expect(t!.server.sessions.local(APP_ID, 'dave')?.id).toBe(sessionId);
  });
});
