// syn-sent: tcplab connects to an address on the link that nobody answers for; its SYN is
// retransmitted on Linux's schedule (Linux 6.5+: 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s) until
// connect() fails with ETIMEDOUT at about 131 s. --quick sets tcp_syn_retries 2: SYNs at 0-5 s,
// ETIMEDOUT at 7 s (Linux retransmits tcp_syn_retries + tcp_syn_linear_timeouts times, within the
// time tcp_model_timeout allows).
import { DEFAULT_TCP_CONFIG } from '../../tcp/config.js';
import { synGiveUpTime, synSendTimes } from '../../tcp/timing/retransmit-schedule.js';
import type { ScenarioDefinition } from '../scenario.js';

export const synSent: ScenarioDefinition = {
  name: 'syn-sent',
  summary: 'tcplab\'s SYN gets no answer: retransmitted on Linux\'s schedule, then ETIMEDOUT',
  expect: { tcplab: ['SYN-SENT', 'CLOSED'], kernel: [] },
  ports: [5007],
  async run(ctx) {
    // An address in the link's subnet that is nobody's: the kernel is a host, not a router,
    // so it drops the SYNs without a word.
    const nobody = ctx.host.peerAddress.replace(/\.\d+$/, '.99');
    const started = performance.now();
    const socket = ctx.host.net.connect({ host: nobody, port: 5007 });
    const sends: number[] = [];
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      socket.on('error', resolve);
      const watch = setInterval(() => {
        const conn = socket.endpoint?.connection;
        const count = conn ? conn.counters.outSegs : 0;
        while (sends.length < count) sends.push(Math.round((performance.now() - started) / 100) / 10);
        if (socket.destroyed) clearInterval(watch);
      }, 5);
    });
    const took = (performance.now() - started) / 1000;
    ctx.note(`SYNs sent at ${sends.join(', ')} s`);
    ctx.check('connect() failed with ETIMEDOUT', error.code === 'ETIMEDOUT', `${error.code}: ${error.message}`);
    const schedule = { synRetries: ctx.timers.tcpSynRetries, linearTimeouts: DEFAULT_TCP_CONFIG.tcpSynLinearTimeouts, rtoInitial: 1000 };
    const expected = synSendTimes(schedule).map((ms) => ms / 1000);
    const giveUp = synGiveUpTime(schedule) / 1000;
    const close = sends.length === expected.length && sends.every((t, i) => Math.abs(t - expected[i]) < 0.25);
    ctx.check(`SYNs at ${expected.join(', ')} s`, close, `at ${sends.join(', ')} s`);
    ctx.check(`ETIMEDOUT at ${giveUp} s`, Math.abs(took - giveUp) < 0.5, `after ${took.toFixed(2)} s`);
  },
};
