/** Every `wuwatch` command, declared once: the parser, `--help` and the README's command list come from here. */
import {
  alertsAckCommand,
  alertsListCommand,
  notifyTestCommand,
  silenceAddCommand,
  silenceDeleteCommand,
  silenceListCommand,
} from './alerts.js';
import {
  credentialCreate,
  credentialList,
  credentialRevoke,
  machineCommand,
  machinesCommand,
  statusCommand,
  wsusCommand,
} from './commands.js';
import { installsCommand } from './installs.js';
import { quarantineListCommand } from './quarantine.js';
import { configCheckCommand, migrateCommand, serveCommand } from './serve.js';
import type { OptionSpec, Spec } from './spec.js';
import { MACHINE_FORGET } from './machine-forget.js';

/** How API commands find and authenticate to the collector. */
const API: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    value: 'URL',
    description: 'collector URL',
    env: 'WUWATCH_URL',
    defaultText: 'http://127.0.0.1:8470',
  },
  token: { type: 'string', value: 'TOKEN', description: 'API token', env: 'WUWATCH_TOKEN' },
};
const JSON_OUT: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print JSON (for scripts) instead of a table' },
};
const CONFIG: Record<string, OptionSpec> = {
  config: { type: 'string', value: 'FILE', description: 'JSON config file', env: 'WUWATCH_CONFIG' },
};
const ID = (what: string) => [{ name: 'ID', description: `id of the ${what} (from the list)`, required: true }];

/** The command tree. */
export const COMMANDS: readonly Spec[] = [
  {
    name: 'serve',
    summary: 'run the collector (API, agent endpoint, dashboard, alerts)',
    description:
      'Runs the collector until SIGINT/SIGTERM, then drains agents and stops. Applies pending migrations at start. ' +
      'Logs (JSON) go to stderr.',
    options: {
      ...CONFIG,
      host: {
        type: 'string',
        value: 'ADDR',
        description: 'listen address',
        env: 'WUWATCH_HOST',
        defaultText: '127.0.0.1',
      },
      port: { type: 'string', value: 'PORT', description: 'listen port', env: 'WUWATCH_PORT', defaultText: '8470' },
    },
    examples: [
      'WUWATCH_ADMIN_TOKEN=$(openssl rand -hex 24) wuwatch serve',
      'wuwatch serve --config /etc/wuwatch/collector.json',
    ],
    run: serveCommand,
  },
  {
    name: 'migrate',
    summary: 'apply pending database migrations and exit',
    description:
      'Applies the migrations shipped with this collector to DATABASE_URL (or the embedded database) and prints ' +
      'one line saying what it did. Warnings and errors are logged to stderr.',
    options: { ...CONFIG, verbose: { type: 'boolean', description: 'also log progress (debug) to stderr' } },
    examples: ['DATABASE_URL=postgresql://wuwatch@db/wuwatch wuwatch migrate'],
    run: migrateCommand,
  },
  {
    name: 'config',
    summary: 'check configuration',
    commands: [
      {
        name: 'check',
        summary: 'validate a config file and print the effective config, secrets redacted',
        description:
          'Reads FILE (or --config, or WUWATCH_CONFIG), then the environment, validates the result exactly as ' +
          '"serve" would, checks that TLS files are readable, and prints the effective config (defaults filled in, ' +
          'secrets redacted) as JSON on stdout.',
        args: [{ name: 'FILE', description: 'JSON config file', required: false }],
        options: { ...CONFIG },
        examples: ['wuwatch config check /etc/wuwatch/collector.json'],
        run: configCheckCommand,
      },
    ],
  },
  {
    name: 'enroll-secret',
    summary: 'manage agent enrollment secrets',
    commands: [
      {
        name: 'create',
        summary: 'create an enrollment secret (shown once)',
        options: {
          comment: { type: 'string', value: 'TEXT', description: 'what the secret is for' },
          expires: { type: 'string', value: 'ISO-TIME', description: 'refuse the secret after this time' },
          'max-uses': { type: 'string', value: 'N', description: 'refuse the secret after N agents enrolled with it' },
          ...API,
          ...JSON_OUT,
        },
        examples: ['wuwatch enroll-secret create --comment "rollout 2026-11" --expires 2026-12-31T00:00:00Z'],
        run: credentialCreate('enroll-secret'),
      },
      {
        name: 'list',
        summary: 'list enrollment secrets',
        options: { ...API, ...JSON_OUT },
        run: credentialList('enroll-secret'),
      },
      {
        name: 'revoke',
        summary: 'revoke an enrollment secret',
        args: ID('enrollment secret'),
        options: { ...API },
        run: credentialRevoke('enroll-secret'),
      },
    ],
  },
  {
    name: 'token',
    summary: 'manage API tokens',
    commands: [
      {
        name: 'create',
        summary: 'create an API token (shown once)',
        args: [{ name: 'NAME', description: 'a name for the token (or --name)', required: false }],
        options: {
          name: { type: 'string', value: 'NAME', description: 'a name for the token', defaultText: 'cli' },
          scope: {
            type: 'string',
            value: 'SCOPE',
            description: 'read (GET only: dashboards, scripts) or admin (revoke, enroll secrets, silences)',
            defaultText: 'read',
          },
          ...API,
          ...JSON_OUT,
        },
        examples: ['wuwatch token create grafana', 'wuwatch token create ops-laptop --scope admin'],
        run: credentialCreate('token'),
      },
      { name: 'list', summary: 'list API tokens', options: { ...API, ...JSON_OUT }, run: credentialList('token') },
      {
        name: 'revoke',
        summary: 'revoke an API token',
        args: ID('API token'),
        options: { ...API },
        run: credentialRevoke('token'),
      },
    ],
  },
  {
    name: 'agent',
    summary: 'list agents, revoke an agent token',
    commands: [
      { name: 'list', summary: 'list enrolled agents', options: { ...API, ...JSON_OUT }, run: credentialList('agent') },
      {
        name: 'revoke',
        summary: "revoke an agent's token and close its connection",
        args: ID('agent'),
        options: { ...API },
        run: credentialRevoke('agent'),
      },
    ],
  },
  { name: 'status', summary: 'machines per status', options: { ...API, ...JSON_OUT }, run: statusCommand },
  {
    name: 'machines',
    summary: 'list machines',
    options: {
      status: { type: 'string', value: 'STATUS', description: 'only this status (e.g. wsus_unreachable)' },
      wsus: { type: 'string', value: 'URL', description: 'only machines pointing at this WSUS server' },
      q: { type: 'string', value: 'TEXT', description: 'hostname contains TEXT' },
      ...API,
      ...JSON_OUT,
    },
    examples: ['wuwatch machines --status wsus_unreachable', 'wuwatch machines --q srv-app --json'],
    run: machinesCommand,
  },
  {
    name: 'machine',
    summary: 'one machine: show it, or forget a decommissioned one',
    defaultCommand: 'show',
    commands: [
      {
        name: 'show',
        summary: 'one machine with the reasons behind its status',
        args: ID('machine'),
        options: { ...API, ...JSON_OUT },
        examples: ['wuwatch machine <id>', 'wuwatch machine show <id> --json'],
        run: machineCommand,
      },
      { ...MACHINE_FORGET, options: { ...MACHINE_FORGET.options, ...API, ...JSON_OUT } },
    ],
  },
  { name: 'wsus', summary: 'WSUS servers and who can reach them', options: { ...API, ...JSON_OUT }, run: wsusCommand },
  {
    name: 'installs',
    summary: 'latest update installs across the fleet (--failed: install failures)',
    description:
      'Lists the installs the machines reported (WindowsUpdate.log and events 19/20), newest first: when, which ' +
      'machine, the KB, the error code with its name, how many times that update has failed in a row there, and ' +
      'the update title. Each machine keeps its last 10 installs.',
    options: {
      failed: { type: 'boolean', description: 'only failed installs' },
      machine: { type: 'string', value: 'ID', description: 'only this machine' },
      limit: { type: 'string', value: 'N', description: 'most rows (1 to 1000)', defaultText: '100' },
      ...API,
      ...JSON_OUT,
    },
    examples: ['wuwatch installs --failed', 'wuwatch installs --failed --machine <id> --json'],
    run: installsCommand,
  },
  {
    name: 'quarantine',
    summary: 'agent events set aside instead of stored',
    defaultCommand: 'list',
    commands: [
      {
        name: 'list',
        summary: 'quarantined events, newest first, with the reason',
        description:
          'Events an agent sent that could not be stored (wrong shape, a time outside the window, a policy that ' +
          'cannot be assessed, refused by the database). They were acknowledged so the agent moved on; --json ' +
          'prints each one with its raw JSON as received.',
        options: {
          agent: { type: 'string', value: 'ID', description: 'only events of this agent' },
          limit: { type: 'string', value: 'N', description: 'most rows', defaultText: '100' },
          ...API,
          ...JSON_OUT,
        },
        examples: ['wuwatch quarantine list', 'wuwatch quarantine list --agent agt_0123 --json'],
        run: quarantineListCommand,
      },
    ],
  },
  {
    name: 'alerts',
    summary: 'alerts: list, acknowledge',
    defaultCommand: 'list',
    commands: [
      {
        name: 'list',
        summary: 'open alerts',
        options: {
          state: {
            type: 'string',
            value: 'STATE',
            description: 'open, firing, clearing or resolved',
            defaultText: 'open',
          },
          ...API,
          ...JSON_OUT,
        },
        run: alertsListCommand,
      },
      {
        name: 'ack',
        summary: 'acknowledge an alert',
        args: ID('alert'),
        options: { comment: { type: 'string', value: 'TEXT', description: 'why, for the others' }, ...API },
        examples: ['wuwatch alerts ack alr_0123456789abcdef0123 --comment "on it"'],
        run: alertsAckCommand,
      },
    ],
  },
  {
    name: 'silence',
    summary: 'mute alerts by rule, machine or WSUS URL',
    commands: [
      {
        name: 'add',
        summary: 'add a silence (every given matcher must match)',
        options: {
          rule: {
            type: 'string',
            value: 'RULE',
            description: 'detect_failures, detect_stale, wsus_unreachable, agent_silent or install_failures',
          },
          machine: { type: 'string', value: 'ID', description: 'a machine id' },
          wsus: { type: 'string', value: 'URL', description: 'a WSUS server URL' },
          for: { type: 'string', value: 'DURATION', description: 'how long, e.g. 30m, 4h, 2d' },
          until: { type: 'string', value: 'ISO-TIME', description: 'until when (instead of --for)' },
          comment: { type: 'string', value: 'TEXT', description: 'why' },
          ...API,
        },
        examples: ['wuwatch silence add --machine <id> --for 4h --comment "rebuild"'],
        run: silenceAddCommand,
      },
      { name: 'list', summary: 'list active silences', options: { ...API, ...JSON_OUT }, run: silenceListCommand },
      {
        name: 'delete',
        summary: 'delete a silence',
        args: ID('silence'),
        options: { ...API },
        run: silenceDeleteCommand,
      },
    ],
  },
  {
    name: 'notify-test',
    summary: 'send a test message through a channel',
    args: [{ name: 'CHANNEL', description: 'channel name from alerts.channels', required: true }],
    options: { ...API },
    run: notifyTestCommand,
  },
];
