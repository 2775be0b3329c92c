// `nearcast`: the operator's command line. Configuration comes from the same NEARCAST_*
// variables as the components (pipeline/config.ts). Failures print one line and exit 1.
import { Command, InvalidArgumentError } from 'commander';
import { isNearcastError } from '../pipeline/errors.ts';
import { COMPONENTS, runComponent } from './components.ts';
import { CliError, cliConfig } from './context.ts';
import { createOffers, launchCampaign, stack, tailDecisions } from './ops-commands.ts';
import { replay } from './replay.ts';
import { runMigrations } from './migrate.ts';
import { makeToken } from './token.ts';
import { registerImport } from './import.ts';
import { createTopics, listTopics, showLag } from './topics.ts';

const env = process.env; // the CLI is a process entry point, like pipeline/main.ts
const config = (needsSecret = false) => cliConfig(env, { needsSecret });
const int = (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(v);
};

const program = new Command('nearcast')
  .description(
    'Operate nearcast: local stack, topics, consumer lag, replays, decisions, offers and bulk imports.\nSettings come from NEARCAST_* environment variables (see README).',
  )
  .showHelpAfterError('(run with --help for usage)');

const stackCmd = program
  .command('stack')
  .description('the local stack (Kafka, schema registry, Redis, PostgreSQL) without Docker');
stackCmd
  .command('up')
  .description('start what is not running and wait until it works')
  .action(() => void (process.exitCode = stack('up')));
stackCmd
  .command('down')
  .description('stop Kafka and the registry')
  .option('--wipe', 'also delete their data')
  .action((o: { wipe?: boolean }) => void (process.exitCode = stack('down', o.wipe ? ['--wipe'] : [])));
stackCmd
  .command('status')
  .description('one line per service; exit 1 if any is down')
  .action(() => void (process.exitCode = stack('status')));

const topics = program.command('topics').description('the Kafka topics declared in schemas/topics.ts');
topics
  .command('create')
  .description('create every declared topic that does not exist (idempotent)')
  .action(() => createTopics(config()));
topics
  .command('list')
  .description('declared topics with partitions and retained message counts')
  .action(() => listTopics(config()));

program
  .command('token')
  .description('print a bearer token signed with NEARCAST_TOKEN_SECRET (iss "nearcast", sub, role, iat, exp)')
  .requiredOption('-u, --user <sub>', 'the subject: user id, person, merchant account or partner id')
  .requiredOption('-r, --role <role>', 'device, merchant, marketer, approver, admin or partner')
  .option('--ttl <ttl>', 'lifetime: 90s, 15m, 1h, 30d (at most 365d)', '1h')
  .option(
    '--merchants <ids>',
    'merchant tokens: comma-separated points of sale it may redeem at (default: only --user)',
  )
  .addHelpText('after', '\nExample:\n  curl -H "authorization: Bearer $(nearcast token -u alice -r device)" …')
  .action(
    async (o: { user: string; role: string; ttl: string; merchants?: string }) =>
      void console.log(await makeToken(config(true), o)),
  );

program
  .command('lag')
  .description('consumer lag per group and partition (groups under NEARCAST_TOPIC_PREFIX)')
  .option('-g, --group <group>', 'only this consumer group (full name)')
  .action((o: { group?: string }) => showLag(config(), o.group));

program
  .command('replay')
  .description('re-publish a range of a topic, keeping keys, values and headers')
  .requiredOption('-t, --topic <topic>', 'topic: a declared name (locations, push-requests, …) or a full name')
  .requiredOption('--from <position>', 'first offset (inclusive) or ISO time')
  .requiredOption('--to <position>', 'last offset (inclusive) or ISO time (exclusive)')
  .option('-p, --partition <n>', 'only this partition', int)
  .option('--to-topic <topic>', 'publish to this topic instead of the source')
  .option('--dry-run', 'show the ranges and count, publish nothing')
  .addHelpText(
    'after',
    '\nExamples:\n  nearcast replay --topic locations --from 2026-05-01T10:00:00Z --to 2026-05-01T10:05:00Z\n  nearcast replay --topic push-requests --partition 2 --from 1200 --to 1300 --dry-run',
  )
  .action(
    async (o: { topic: string; from: string; to: string; partition?: number; toTopic?: string; dryRun?: boolean }) =>
      void (await replay(config(), o)),
  );

program
  .command('tail-decisions')
  .description("a user's recent matcher decisions with reasons (the decision log)")
  .requiredOption('-u, --user <userId>', 'user id')
  .option('-n, --limit <n>', 'how many recent decisions', int, 20)
  .option('-f, --follow', 'keep printing new decisions')
  .action((o: { user: string; limit: number; follow?: boolean }) =>
    tailDecisions(config(), o.user, { limit: o.limit, follow: o.follow ?? false }),
  );

program
  .command('offers')
  .description('offers through the gateway admin API')
  .command('create')
  .description('create the offers in a JSON file (one object or an array) through POST /v1/admin/offers')
  .requiredOption('-f, --file <file>', 'JSON file')
  .option('--url <url>', 'gateway base URL', 'http://127.0.0.1:8080')
  .option('--token <jwt>', 'admin token (default: signed with NEARCAST_TOKEN_SECRET)')
  .action((o: { file: string; url: string; token?: string }) => createOffers(config(!o.token), o.file, o));

program
  .command('campaigns')
  .description('campaigns through the gateway admin API')
  .command('launch')
  .description(
    'create a campaign and its offers from a JSON file {campaign, offers}, submit, approve (a second identity) and activate them',
  )
  .requiredOption('-f, --file <file>', 'JSON file')
  .option('--url <url>', 'gateway base URL', 'http://127.0.0.1:8080')
  .option('--marketer-token <jwt>', 'marketer token (default: signed with NEARCAST_TOKEN_SECRET)')
  .option('--approver-token <jwt>', 'approver token, a different person (default: signed with NEARCAST_TOKEN_SECRET)')
  .action((o: { file: string; url: string; marketerToken?: string; approverToken?: string }) =>
    launchCampaign(config(!(o.marketerToken && o.approverToken)), o.file, o),
  );

registerImport(program, () => config());

program
  .command('migrate')
  .description('create the database if missing and apply pending migrations (run it first)')
  .action(() => runMigrations(config().databaseUrl));

program
  .command('run')
  .description(`run one component in the foreground (${Object.keys(COMPONENTS).join(', ')})`)
  .argument('<component>', 'component name')
  .action((name: string) => runComponent(name));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const known = err instanceof CliError || isNearcastError(err);
  console.error(`nearcast: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}`);
  process.exit(1);
}
