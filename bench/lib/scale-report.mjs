/** The scale benchmark's report table (bench/scale.mjs). */
import { fmt, markdownTable } from './report.mjs';

export function printScaleTable(results) {
  const ms = (x) => (Number.isFinite(x) ? `${fmt(x)} ms` : '–');
  console.log(
    markdownTable([
      ['', ...results.map((r) => (r.mode === 'cluster' ? 'Redis Cluster (3 masters)' : 'one Redis'))],
      [
        'clients (generators, haproxy processes)',
        ...results.map((r) => `${r.clients} (${r.generators}, ${r.haproxy})`),
      ],
      ['logins/s at start (all nodes)', ...results.map((r) => fmt(r.loginPerS))],
      ['sessions on the killed node', ...results.map((r) => String(r.killedSessions))],
      ['clients dropped / not back', ...results.map((r) => `${r.clientsDropped} / ${r.stillDown}`)],
      [
        'back to CONNECTED p50 / p99 / max',
        ...results.map((r) => `${ms(r.backP50)} / ${ms(r.backP99)} / ${ms(r.backMax)}`),
      ],
      [
        'logins absorbed by survivors (mean/s, peak/s)',
        ...results.map((r) => `${r.absorbedLogins} (${fmt(r.absorbedPerS)}, ${fmt(r.peakLoginsPerS)})`),
      ],
      ['login refusals on survivors', ...results.map((r) => String(r.loginRefusedDuringRecovery))],
      [
        'acked peer msgs (live / offline)',
        ...results.map((r) => `${r.acked} (${r.ackedLive} / ${r.ackedOffline})`),
      ],
      [
        'acked msgs lost / shown twice',
        ...results.map(
          (r) =>
            `${r.lostMsgs} / ${r.dupMsgs}${r.lostMsgs ? ` ${JSON.stringify(r.lostBy)}, in inboxes ${r.lostInInbox}` : ''}`,
        ),
      ],
      ['why clients dropped (state/reason)', ...results.map((r) => JSON.stringify(r.reasons))],
      ['peer sends failed', ...results.map((r) => JSON.stringify(r.sendFailures))],
      [
        'channel msgs sent / deliveries / shown twice',
        ...results.map((r) => `${r.chanSent} / ${r.chanDeliveries} / ${r.chanDups}`),
      ],
      [
        'probe MemberJoined / MemberLeft (dup)',
        ...results.map(
          (r) => `${r.member.joined} (${r.member.dupJoined}) / ${r.member.left} (${r.member.dupLeft})`,
        ),
      ],
      [
        'node RSS MiB before (sessions)',
        ...results.map((r) => r.memBefore.map((m) => `${fmt(m.rssMiB)} (${m.sessions})`).join(', ')),
      ],
      [
        'RSS growth per session before (KiB, per node)',
        ...results.map((r) =>
          r.memBefore.map((m) => fmt(((m.rssMiB - m.baseMiB) * 1024) / m.sessions)).join(', '),
        ),
      ],
      [
        'node RSS MiB after (sessions, survivors)',
        ...results.map((r) => r.memAfter.map((m) => `${fmt(m.rssMiB)} (${m.sessions})`).join(', ')),
      ],
      [
        'RSS growth per session after (KiB, survivors)',
        ...results.map((r) =>
          r.memAfter.map((m) => fmt(((m.rssMiB - m.baseMiB) * 1024) / m.sessions)).join(', '),
        ),
      ],
      [
        'Redis CPU % login / steady / recovery',
        ...results.map(
          (r) =>
            `${fmt(r.redisCpu.loginPct)} / ${fmt(r.redisCpu.steadyPct)} / ${fmt(r.redisCpu.recoveryPct)}`,
        ),
      ],
      ['load average', ...results.map((r) => r.loadavg)],
    ]),
  );
}
