// `provision-desk serve`: Provision Desk without a window, for an always-on
// admin host. It holds the data folder's lock and runs what otherwise only
// runs while the app is open: the reset portal (so the links in activation
// mails keep working) and the outbox worker. It stops on Ctrl-C or SIGTERM
// (systemd, a Windows service wrapper), letting running work finish.
import { EXIT } from './args.ts';
import type { Command, CommandContext } from './command.ts';

/** Starts the portal when the admin has not (serve exists to run it); a portal that cannot start is said, not fatal. */
async function startPortal(ctx: CommandContext): Promise<string> {
  const o = ctx.app.onboarding;
  if (!o.portalStatus().running) {
    try {
      await o.startPortal(false);
    } catch (e) {
      return `Reset portal NOT running: ${e instanceof Error ? e.message : String(e)} (Settings, Reset portal).`;
    }
  }
  const s = o.portalStatus();
  return [
    `Reset portal listening on ${s.listening}; links in mails open ${s.publicUrl}.`,
    ...s.warnings.map((w) => `  ! ${w}`),
  ].join('\n');
}

function stopSignal(ctx: CommandContext): Promise<string> {
  return new Promise((resolve) => {
    const onTerm = () => stop('SIGTERM');
    const removeInterrupt = ctx.io.onInterrupt(() => stop('SIGINT'));
    function stop(signal: string) {
      process.off('SIGTERM', onTerm);
      removeInterrupt();
      resolve(signal);
    }
    process.on('SIGTERM', onTerm);
  });
}

export const serveCommand: Command = {
  words: ['serve'],
  usage: '[--data-dir DIR]',
  summary: 'run the reset portal and the outbox worker without a window, until stopped',
  lockKind: 'serve',
  async run(ctx) {
    const stopped = stopSignal(ctx);
    await ctx.app.start();
    const portal = await startPortal(ctx);
    // stdout, not stderr: service managers keep it as the service's log.
    ctx.io.stdout.write(
      [
        `Provision Desk is serving the data folder ${ctx.dataDir} (pid ${process.pid}).`,
        portal,
        'Outbox worker running. Stop with Ctrl+C or SIGTERM.',
      ].join('\n') + '\n',
    );
    const signal = await stopped;
    ctx.io.stdout.write(`${signal}: stopping (running work finishes first).\n`);
    return EXIT.ok;
  },
};
